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
    r"|enviar|transferir|compartilhar|compartir|pagar|reenviar|encaminhar|eliminar|borrar"
    r"|apagar|excluir|conceder|otorgar|visitar|acessar|acceder|descargar|baixar|instalar"
    r"|ejecutar|executar|publicar|subir|cambiar|alterar|mudar|depositar|comprar|responder"
    r"|agendar|revelar|mostrar|informar|proporcionar|fornecer|cc|bcc"
)
# Words that open a line as nouns far more often than as orders ("Text: …", "Order #12").
_NOUNS = frozenset("text message order post follow book type enter sync dm call set open".split())
_VERB_AT = re.compile(rf"(?:{_VERBS})\b")
_FIRST_WORDS = frozenset(v.split()[0] for v in _VERBS.split("|"))
_WORD = re.compile(r"[^\W\d_]+")
_WINDOW = 90  # characters before a verb read for what frames it as a request
# What comes right before a verb that makes it a request to the reader; each is matched at the
# end of the window before the verb (flat alternations: linear).
_MARKED = re.compile(
    r"\b(?:please|pls|plz|kindly|immediately|asap|urgently|por favor|favor|porfa)[,:]?\s+$"
)
_OPENING = re.compile(
    r"(?:[.!?;:>\]\"'(*•\-]\s{0,3}|\b(?:now|also|then|first|next|just|ahora|agora|ya|então"
    r"|entonces)[,:]?\s+)$"
)
_FRAMED = re.compile(
    r"(?:\b(?:you|u|your team|the reader|the recipient|whoever reads this)\s+(?:must|should"
    r"|shall|need to|needs to|have to|has to|are required to|are asked to|are expected to"
    r"|will need to|ought to|are to|can now|may now)"
    r"|\b(?:could|can|would|will|won't)\s+(?:you|u)(?:\s+(?:please|kindly|also|now))?"
    r"|\b(?:make sure|be sure|remember|don't forget|do not forget|it is (?:required|mandatory"
    r"|necessary|important|essential|critical)|it's (?:required|mandatory|important)"
    r"|(?:i|we) (?:need|want|would like|require|ask|expect|request)(?: you| that you)?"
    r"|(?:i|we) (?:would|'d) (?:appreciate|like)(?: it)? if you|(?:i|we) urge you"
    r"|action required|required action|your task is|the task is|next step is"
    r"|(?:do|complete|perform) the following(?: first| now| immediately| steps?| tasks?)?"
    r"|before you (?:can )?(?:solve|do|continue|answer|proceed)[^.\n]{0,40},)(?:\s*(?:to|that"
    r" you|[:,-]))?"
    r"|\b(?:voce|você|usted|tu|tú|vc)\s+(?:deve|debe|precisa|necesita|tem que|tiene que|ha de)"
    r"|\b(?:preciso|necesito|necessitamos|necesitamos|queremos|quero|quiero) que"
    r"(?:\s+(?:voce|você|usted|tu|tú))?)"
    r"\s+(?:[\w']+\s+){0,2}$"
)
_OBJECT = re.compile(r"\s+(?:[^\W_]|[$€£@#~\"'])")
# After a word that is usually a noun, what makes it a verb: `Book now`, `Call me`, `Open the`.
_AS_VERB = re.compile(
    r"\s+(?:the|a|an|your|my|our|this|that|these|those|it|them|him|her|me|us|now|today|all"
    r"|up|back|out|in|on|to|with|for|at|here|there|every|each|any|some|\d|[$€£@\"'])\b"
)
_CHUNK = 4_000  # the gloss reads bounded pieces
# Common Portuguese and Spanish words: text without any is not glossed (the gloss costs more).
_PT_ES = (
    " que ",
    " el ",
    " los ",
    " las ",
    " por ",
    " para ",
    " com ",
    " não",
    " nao ",
    " una ",
    " uma ",
    " del ",
    "usted",
    "você",
    "voce",
    "ção",
    "ción",
    " y ",
    " é ",
)


# Text that speaks to the agent reading it ("to you, AI assistant", "dear assistant").
_ADDRESSED = re.compile(
    r"\b(?:to you,? (?:the |my |our )?|dear |hey |hello |hi |attention,? |note to (?:the )?)"
    r"(?:ai|assistant|agent|llm|model|chatbot|bot|copilot|ai assistant|ai agent)\b"
)


def find_request(text: str) -> str | None:
    """The first request the text addresses to its reader (the matched words), or None."""
    low = text.lower()
    if "\\n" in low:  # JSON-escaped text: its `\n` are line breaks too
        low = low.replace("\\r\\n", "\n").replace("\\n", "\n")
    found = _search(low)
    if found is not None:
        return found
    addressed = _ADDRESSED.search(low)
    if addressed is not None:
        return addressed.group(0)
    if not any(w in low for w in _PT_ES):
        return None
    for start in range(0, len(text), _CHUNK):
        english = gloss(text[start : start + _CHUNK])
        if english:
            found = _search(english)
            if found is not None:
                return found
    return None


def _search(low: str) -> str | None:
    """Read verb by verb: each verb is a request when what precedes it frames one."""
    for word in _WORD.finditer(low):
        if word.group() not in _FIRST_WORDS:
            continue
        pos = word.start()
        verb = _VERB_AT.match(low, pos)
        if verb is None:
            continue
        before = low[max(0, pos - _WINDOW) : pos]
        line_start = pos == 0 or before.rstrip(" \t").endswith("\n") or not before.strip()
        end = verb.end()
        if (
            _MARKED.search(before)
            or _FRAMED.search(before)
            or (
                (line_start or _OPENING.search(before))
                and (_AS_VERB if word.group() in _NOUNS else _OBJECT).match(low, end)
            )
        ):
            context = low[max(0, pos - 30) : end + 20]
            return " ".join(context.split())[:120]
    return None


__all__ = ["find_request"]
