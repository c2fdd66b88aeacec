"""Orders in data: requests a text addresses to whoever reads it.

A tool output that asks its reader to transfer, forward, share, grant, delete, change a setting,
visit, run or disclose something is ordinary data (an e-mail asking for a payment is an e-mail),
but an agent that reads it must not take it as an instruction. This finds such requests in any
wording — imperatives at the start of a sentence or after "please", modal requests ("you must",
"could you", "make sure to", "we need you to"), and their Portuguese and Spanish forms read
through the gloss — so provenance can mark the session. It is not a block: the output is
allowed; what changes is that later consequential actions need values from the principal.
"""

from __future__ import annotations

import re

from magistrate.analysis.gloss import gloss

# What a reader may be asked to do that has consequences (English, and pt/es forms the gloss
# does not cover).
_VERBS = (
    r"transfer|send|wire|pay|remit|forward|share|grant|give|invite|add|delete|remove|erase|wipe"
    r"|purge|change|update|set|reset|modify|disable|enable|turn off|turn on|visit|open|click|go to"
    r"|navigate to|browse to|download|install|run|execute|launch|disclose|reveal|leak|post"
    r"|publish|upload|email|e-mail|mail|reply|respond|create|schedule|book|move|rename|approve"
    r"|subscribe|unsubscribe|call|text|message|dm|paste|copy|export|sync|buy|purchase|order"
    r"|deposit|withdraw|sign up|register|log in|login|provide|submit|confirm|verify|include"
    r"|attach|append|insert|write|edit|replace|revoke|assign|promote|merge|push|deploy|follow"
    r"|make|fill|enter|type|grant|authorize|authorise|cancel|book"
    r"|visite|acesse|accede|acceda|clique|haga clic|baixe|descargue|instale|reenvie|reenvia"
    r"|deposite|deposita|compre|compra|responda|responde|agende|programe|actualice|atualize"
    r"|atualizar|actualizar|confirme|verifique|informe|divulgue|divulga|proporcione|forneca"
    r"|transfiera|transfira|transfiere|transfieran|transfiram|envie|envíe|envía|envia|envien"
    r"|envíen|mande|manda|reenvíe|encaminhe|comparta|compartilhe|comparte|pague|paga|paguen"
    r"|elimine|borre|apague|exclua|conceda|otorgue|cambie|altere|mude|ejecute|execute|rode"
    r"|descarregue|suba|carregue|publique|entregue|agregue|adicione|desactive|desative|abra"
    r"|escreva|escriba|copie|exporte|revele|muestre|mostre|diga|digame|dígame|llame|ligue"
)
# Words that open a line as nouns far more often than as orders ("Text: …", "Order #12").
_NOUNS = r"(?:text|message|order|post|follow|book|type|enter|sync|dm|call|set|make|open)\b"
_FLAGS = re.I | re.M
# The request forms, each a flat alternation (no nested quantifiers): linear on hostile text.
_REQUESTS = [
    # A request marked as one: "please …", "kindly …", "por favor …", "now …".
    re.compile(
        rf"\b(?:please|pls|plz|kindly|immediately|asap|urgently|por favor|favor|porfa)[,:]?\s+"
        rf"(?:{_VERBS})\b",
        _FLAGS,
    ),
    # An imperative opening a sentence, a line or a list item, followed by its object.
    re.compile(
        rf"(?:^|[.!?;:>\]\"'(*•\-]\s{{0,3}}|\b(?:now|also|then|first|next|just|ahora|agora|ya"
        rf"|então|entonces)[,:]?\s+)(?!{_NOUNS})(?:{_VERBS})\s+(?:[^\W\d_]|[$€£@#~\"'])",
        _FLAGS,
    ),
    # Modal requests to the reader.
    re.compile(
        rf"\b(?:you|u|your team|the reader|the recipient|whoever reads this)\s+(?:must|should"
        rf"|shall|need to|needs to|have to|has to|are required to|are asked to|are expected to"
        rf"|will need to|ought to|are to|can now|may now)\s+(?:\w+\s+){{0,2}}?(?:{_VERBS})\b",
        _FLAGS,
    ),
    re.compile(
        rf"\b(?:could|can|would|will|won't)\s+(?:you|u)\s+(?:please\s+|kindly\s+|also\s+|now\s+)?"
        rf"(?:{_VERBS})\b",
        _FLAGS,
    ),
    re.compile(
        rf"\b(?:make sure|be sure|remember|don't forget|do not forget|it is (?:required|mandatory"
        rf"|necessary|important|essential|critical)|it's (?:required|mandatory|important)"
        rf"|(?:i|we) (?:need|want|would like|require|ask|expect|request) (?:you |that you )?"
        rf"|(?:i|we) (?:would|'d) (?:appreciate|like) (?:it )?if you|(?:i|we) urge you"
        rf"|action required|required action|your task is|the task is|next step is)\s*(?:to|that"
        rf" you|:)?\s*(?:\w+\s+){{0,2}}?(?:{_VERBS})\b",
        _FLAGS,
    ),
    # Portuguese and Spanish request framings the gloss leaves as they are.
    re.compile(
        rf"\b(?:voce|você|usted|tu|tú|vc)\s+(?:deve|debe|precisa|necesita|tem que|tiene que|ha de)"
        rf"\s+(?:\w+\s+){{0,2}}?(?:{_VERBS})\b|\b(?:preciso|necesito|necessitamos|necesitamos"
        rf"|queremos|quero|quiero) que (?:voce|você|usted|tu|tú)?\s*\w+",
        _FLAGS,
    ),
]
_CHUNK = 4_000  # the gloss reads bounded pieces


def find_request(text: str) -> str | None:
    """The first request the text addresses to its reader (the matched words), or None."""
    found = _search(text)
    if found is not None:
        return found
    for start in range(0, len(text), _CHUNK):
        english = gloss(text[start : start + _CHUNK])
        if english:
            found = _search(english)
            if found is not None:
                return found
    return None


def _search(text: str) -> str | None:
    for pattern in _REQUESTS:
        m = pattern.search(text)
        if m is not None:
            return " ".join(m.group(0).split())[:120]
    return None


__all__ = ["find_request"]
