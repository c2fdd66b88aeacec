"""A word-for-word English gloss of Portuguese and Spanish requests.

The constitution's request patterns are written in English. Agents take instructions in other
languages too ("apague todos os registros da tabela clientes", "ignora las instrucciones
anteriores"). A gloss is not a translation: it maps the vocabulary that matters for governance
(verbs of destruction, disclosure, privilege; the objects they act on; quantifiers) and fixes the
few word orders the patterns depend on ("instrucciones anteriores" → "previous instructions"),
so the same rules read both. Text with too few known words is left alone.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Multi-word phrases first (accents stripped, lower case), where word order or sense differs.
_PHRASES: list[tuple[str, str]] = [
    (r"\bbancos? de dados\b|\bbases? de datos\b", "database"),
    (
        r"\b(do|da|de|en|em|no|na) (banco|base) de (producao|produccion)\b",
        "in the production database",
    ),
    (r"\b(de|en|em|no|na) (producao|produccion)\b", "in production"),
    (
        r"\b(las |as |os |los )?instruc(oes|ciones) (anteriores|previas|prévias)\b",
        "the previous instructions",
    ),
    (r"\b(folha de pagamento|nomina)\b", "payroll"),
    (r"\b(e-?mail|correo) (pessoal|personal)\b", "personal email"),
    (
        r"\b(autenticacao|autenticacion) (de|en) (dois|dos) (fatores|factores)\b",
        "two-factor authentication",
    ),
    (r"\b(dois|dos) (fatores|factores)\b", "two-factor"),
    (r"\bgrupos? de (seguranca|seguridad)\b", "security group"),
    (r"\bcopias? de seguridad\b", "backups"),
    (r"\bchaves? de acesso\b|\bclaves? de acceso\b", "access keys"),
    (r"\b(nao|no) (precisa|hace falta|es necesario) (fazer|hacer)?\s*", "no need to "),
    (
        r"\b(nao|no) (avises|avise|avisem|digas|diga|informes|informe|menciones|mencione|cuentes"
        r"|conte|preguntes|pergunte|notifiques|notifique)\b",
        "do not notify",
    ),
    (r"\bnao\b", "not"),
    (r"\b(sem|sin) (fazer|hacer)\b", "without doing"),
    (r"\bcomite de (mudancas|cambios)\b", "change committee"),
    (r"\bpruebas de humo\b|\btestes de fumaca\b", "smoke tests"),
    (r"\bdados bancarios\b|\bdatos bancarios\b", "bank details"),
]
_WORDS: dict[str, str] = {}
for _english, _forms in {
    "delete": "apague apagar apaguem apagara exclua excluir exclui excluam deletar delete deletem "
    "borra borrar borre borren elimina eliminar elimine eliminen suprime suprimir",
    "remove": "remova remover removam quita quitar quite",
    "wipe": "limpe limpar limpa limpia limpiar limpie vacia vaciar esvazie esvaziar",
    "destroy": "destrua destruir destruye",
    "truncate": "trunca truncar",
    "drop": "dropar dropa",
    "ignore": "ignore ignora ignorar ignorem ignoren desconsidere desconsidera",
    "forget": "esqueca esquece esquecer olvida olvide olvidar",
    "send": "envie enviar envia envien mande mandar manda mandem manden",
    "forward": "encaminhe encaminhar reenvia reenviar reenvie",
    "transfer": "transfira transferir transfiere transfere transfieran",
    "pay": "pague pagar paga",
    "disable": "desative desativar desativa desactiva desactivar desactive desabilite desabilitar "
    "deshabilita deshabilitar deshabilite desligue desligar",
    "enable": "ative ativar activa activar habilite habilitar",
    "make": "torne tornar torna haz hacer faca fazer",
    "open": "abra abrir abre abran",
    "create": "crie criar cria crea crear cree",
    "grant": "conceda conceder concede otorga otorgar otorgue",
    "add": "adicione adicionar adiciona agrega agregar agregue anade anadir anada inclua incluir",
    "publish": "publique publicar publica",
    "share": "compartilhe compartilhar compartilha comparte compartir comparta",
    "export": "exporte exportar exporta",
    "copy": "copie copiar copia",
    "deploy": "despliega desplegar despliegue implante implantar implanta publica",
    "restart": "reinicie reiniciar reinicia",
    "skip": "pule pular pulando salta saltar saltando omite omitir omitiendo ignorando",
    "run": "execute executar executa ejecuta ejecutar ejecute rode rodar roda corre correr",
    "reveal": "revele revelar revela muestra mostrar muestre mostre",
    "print": "imprima imprimir imprime",
    "change": "altere alterar altera cambia cambiar cambie mude mudar muda modifique modificar",
    "show": "exiba exibir exibe",
    "approve": "aprove aprovar aprueba aprobar",
    "records": "registros",
    "record": "registro",
    "table": "tabela tabla",
    "tables": "tabelas tablas",
    "data": "dados datos",
    "customers": "clientes",
    "customer": "cliente",
    "users": "usuarios",
    "user": "usuario",
    "production": "producao produccion",
    "backups": "backups respaldos",
    "password": "senha contrasena clave",
    "passwords": "senhas contrasenas",
    "keys": "chaves claves",
    "key": "chave",
    "credentials": "credenciais credenciales",
    "secrets": "segredos secretos",
    "secret": "segredo secreto",
    "file": "arquivo archivo fichero",
    "files": "arquivos archivos ficheros",
    "repository": "repositorio",
    "public": "publico publica publicos",
    "private": "privado privada",
    "instructions": "instrucoes instrucciones",
    "previous": "anteriores previas",
    "all": "todos todas",
    "everything": "tudo",
    "account": "conta cuenta",
    "accounts": "contas cuentas",
    "payment": "pagamento pago",
    "approval": "aprovacao aprobacion",
    "tests": "testes pruebas",
    "without": "sem sin",
    "now": "agora ahora",
    "server": "servidor",
    "servers": "servidores",
    "port": "porta puerto",
    "history": "historico historial",
    "audit": "auditoria",
    "administrator": "administrador",
    "access": "acesso acceso",
    "bank": "bancaria bancario",
    "the": "o os as el la los las",
    "assistant": "asistente assistente",
    "hello": "hola ola oi",
    "notify": "avises avise avisar avisem informes informe",
    "note": "nota",
    "instruction": "instrucao instruccion",
    "write": "escreva escrever escribe escribir escriba",
    "click": "clicar clique clica haga",
    "organization": "organizacao organizacion",
    "rule": "regla regra",
    "token": "token",
    "always": "siempre sempre",
    "blocks": "bloqueia bloquea",
    "dangerous": "perigosos peligrosos perigoso peligroso",
    "commands": "comandos",
    "of": "de do da dos das del",
    "to": "para al",
    "in": "em no na en",
    "and": "e y",
    "my": "meu minha mi",
    "before": "antes",
    "immediately": "imediatamente inmediatamente",
}.items():
    for _form in _forms.split():
        _WORDS.setdefault(_form, _english)

_COMPILED = [(re.compile(p), r) for p, r in _PHRASES]
# Tokens: runs of word characters and the punctuation of addresses, paths and numbers, so that
# only whole words are looked up (`examp1e.com` and `~/.aws` stay as they are).
_TOKEN = re.compile(r"\w+(?:[.@/~+-]\w+)*|[\s\S]")
_WORDS_2 = re.compile(r"[^\W\d_]{2,}")
# The same over lower-case ASCII text, where a letter is a-z: a range, not a category lookup
# per character (half the time).
_WORDS_2_ASCII = re.compile(r"[a-z]{2,}")
# Words that only these languages have (so English text is never "glossed" by accident).
_MARKERS = frozenset(
    "apague exclua excluir deletar borra borrar borre elimine ignora ignorar envie envia envien "
    "mande mandar transfira transfiere desative desativar desactiva desactivar desabilite torne "
    "haz crie crea conceda otorga adicione agrega anade compartilhe comparte exporte despliega "
    "registros tabela tabla dados datos clientes usuarios producao produccion senha contrasena "
    "chaves claves credenciais credenciales segredos secretos arquivo archivo repositorio publico "
    "instrucoes instrucciones anteriores todos todas tudo conta cuenta pagamento aprovacao "
    "aprobacion testes pruebas sem sin agora ahora servidor porta puerto nao para com los las "
    "del uma um de da do dos das el la los por que en em con y es esta este esto ese pelo pela ao "
    "al su sus seu sua mi meu minha hoy hoje mismo mesmo muy pero cuando quando sempre siempre "
    "tambien tambem aqui ahora agora gracias obrigado hola oi ola sobre depois despues entao "
    "entonces nota asistente assistente clicar digitar avises favor porque".split()
)


def _fold(text: str) -> str:
    """Lower case without accents: `Produção` → `producao`."""
    if text.isascii():  # nothing to decompose (most text): the per-character pass is skipped
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=4096)
def gloss(text: str) -> str | None:
    """An English gloss of Portuguese or Spanish text, or None when the text is not."""
    if not text or len(text) > 20_000:
        return None
    folded = _fold(text)
    # runs of two letters or more
    words = (_WORDS_2_ASCII if text.isascii() else _WORDS_2).findall(folded)
    if len(words) < 3:
        return None
    # Marker words among them, counted (and distinct) without a Python-level loop.
    found = sum(map(_MARKERS.__contains__, words))
    if len(_MARKERS.intersection(words)) < 2 or found < 0.2 * len(words):
        return None
    for pattern, english in _COMPILED:
        folded = pattern.sub(english.upper(), folded)  # upper case: not looked up again
    out = [_WORDS.get(tok, tok) for tok in _TOKEN.findall(folded)]
    return "".join(out).lower()
