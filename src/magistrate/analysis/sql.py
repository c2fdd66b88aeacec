"""SQL analysis with sqlglot: statement type, object, WHERE clause, tables, privileges.

`DELETE FROM users` and `DELETE FROM users WHERE 1=1` both delete every row; `SELECT … FROM
drop_reasons` reads. Statements sqlglot cannot parse (it falls back to a generic command) are
read from their leading keywords, so `GRANT ALL …` or `ALTER USER … SUPERUSER` are still seen.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

import re2  # type: ignore[import-untyped]
import sqlglot
from sqlglot import exp

from magistrate.analysis import rx

logging.getLogger("sqlglot").setLevel(logging.CRITICAL)
# What `sqlglot.parse(sql)` and `node.sql()` build on every call (the default dialect, its
# tokenizer and parser), built once; the tokenizer and parser once per thread, as both keep the
# state of the text they read (each resets it when it starts).
_DIALECT = sqlglot.Dialect.get_or_raise(None)
_LOCAL = threading.local()


def _parse(sql: str) -> list[Any]:
    """`sqlglot.parse(sql, error_level=IGNORE)`, without building a dialect, tokenizer and
    parser for every statement."""
    tools = getattr(_LOCAL, "tools", None)
    if tools is None:
        tools = _LOCAL.tools = (
            _DIALECT.tokenizer(),
            _DIALECT.parser(error_level=sqlglot.ErrorLevel.IGNORE),
        )
    tokenizer, parser = tools
    return list(parser.parse(tokenizer.tokenize(sql), sql))


MAX_SQL_CHARS = 100_000
_WORDS = re.compile(r"[A-Za-z_]+")
_OBJECTS = frozenset(
    [
        "table",
        "database",
        "schema",
        "view",
        "index",
        "user",
        "role",
        "function",
        "procedure",
        "trigger",
        "sequence",
        "column",
        "constraint",
        "collection",
        "keyspace",
        "extension",
        "tablespace",
        "login",
    ]
)
_PRIVILEGE_ATTRS = frozenset(
    {
        "superuser",
        "createrole",
        "createdb",
        "replication",
        "bypassrls",
        "sysadmin",
        "dba",
        "all",
        "grant",
        "owner",
        "super",
        "admin",
        "password",
        "retention",
        "nologin",
    }
)


class SqlStatement:
    """What one SQL statement does.

    `text` (the statement as sqlglot writes it back, for evidence) is generated on first use:
    writing the tree back cost as much as parsing it, and most statements match no rule."""

    __slots__ = ("_node", "_text", "actions", "object", "tables", "type", "where")

    def __init__(
        self,
        type: str,  # select insert update delete drop truncate alter grant revoke create merge…
        object: str,  # table, database, schema, user… ('' when not applicable)
        where: str,  # 'none', 'tautology', 'present', or '' when the statement has no WHERE
        tables: tuple[str, ...],
        actions: tuple[str, ...],  # ALTER actions (drop, add…) and privileges granted
        text: str | exp.Expression,
    ) -> None:
        self.type = type
        self.object = object
        self.where = where
        self.tables = tables
        self.actions = actions
        self._node = text if isinstance(text, exp.Expression) else None
        self._text = text if isinstance(text, str) else None

    @property
    def text(self) -> str:
        """The statement's text (at most 300 characters)."""
        text = self._text
        if text is None:
            text = self._text = _node_sql(self._node) if self._node is not None else ""
            self._node = None
        return text

    def _key(self) -> tuple[object, ...]:
        return (self.type, self.object, self.where, self.tables, self.actions, self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SqlStatement) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"SqlStatement(type={self.type!r}, object={self.object!r}, where={self.where!r}, "
            f"tables={self.tables!r}, actions={self.actions!r}, text={self.text!r})"
        )


# RE2 (linear time). `CONCAT(` items are separated by commas: with the comma optional,
# `'a''a''a'…` could be split in exponentially many ways and took seconds for 90 characters.
_CONCAT = re2.compile(r"'((?:[^']|'')*)'\s*(?:\+|\|\|)\s*'")
_CONCAT_FN = re2.compile(r"(?i)\bconcat\s*\(\s*('(?:[^']|'')*'(?:\s*,\s*'(?:[^']|'')*')*)\s*\)")
_LITERAL = re2.compile(r"'((?:[^']|'')*)'")
_DYNAMIC = re2.compile(
    r"(?i)\b(?:exec(?:ute)?(?:\s+immediate)?|sp_executesql|prepare\s+\w+\s+from)\s*\(?\s*N?"
    r"'((?:[^']|'')*)'"
)


def fold_literals(sql: str) -> str:
    """`'DR' + 'OP TABLE x'` → `'DROP TABLE x'`; CONCAT('a','b') → 'ab'."""
    for _ in range(32):  # each pass folds every other pair: logarithmic passes
        if "'" not in sql:
            break
        previous = sql
        sql = _CONCAT.sub(lambda m: "'" + m.group(1), sql)
        sql = _CONCAT_FN.sub(
            lambda m: "'" + "".join(x.group(1) for x in _LITERAL.finditer(m.group(1))) + "'", sql
        )
        if sql == previous:
            break
    return sql


_CONCAT_ANY = re.compile(r"""(['"])((?:(?!\1).)*)\1\s*\+\s*(['"])""")


def fold_concatenation(text: str) -> str:
    """`'Inv'+'oke'` and `"a" + 'b'` → one literal (PowerShell, JavaScript, Python style)."""
    # Each pass joins every other pair (`'a'+'b'+'c'+'d'` → `'ab'+'cd'`): log passes, each linear
    # (one join per pass took quadratic time on long concatenations).
    for _ in range(32):
        folded = _CONCAT_ANY.sub(lambda m: m.group(1) + m.group(2), text)
        if folded == text:
            break
        text = folded
    return text


def dynamic_sql(sql: str) -> list[str]:
    """SQL text run by EXEC(...), EXECUTE IMMEDIATE, sp_executesql or PREPARE."""
    folded = fold_literals(sql) if ("+" in sql or "||" in sql or "concat" in sql.lower()) else sql
    if not rx.found(_DYNAMIC, folded):  # most SQL runs none: no match objects to build
        return []
    return [m.group(1).replace("''", "'") for m in _DYNAMIC.finditer(folded)]


def analyze_sql(sql: str) -> list[SqlStatement]:
    """Every statement in `sql` (and in dynamic SQL it runs) with its facts; never raises."""
    sql = sql[:MAX_SQL_CHARS]
    inner = dynamic_sql(sql) if "'" in sql else []
    if inner:
        return _analyze(sql) + [st for text in inner for st in _analyze(text)]
    return _analyze(sql)


MAX_PARSE_CHARS = 8_000  # sqlglot reads ~20-60 µs a character: the rest is read by keywords
# Statements whose keyword reading is enough: they change nothing that exists.
_KEYWORDS_SUFFICE = frozenset({"select", "insert", "values", "show", "explain", "describe"})


def analyze_sql_bounded(sql: str) -> tuple[list[SqlStatement], str | None]:
    """`analyze_sql` within a parsing budget, and the reason when something was not parsed.

    Statements beyond the budget are read from their keywords; if one of them could change or
    remove data (not a SELECT or INSERT), the reason says so and the verdict must fail closed."""
    if len(sql) <= MAX_PARSE_CHARS:
        return analyze_sql(sql), None
    budget = MAX_PARSE_CHARS
    parsed: list[str] = []
    rest: list[str] = []
    for part in sql[:MAX_SQL_CHARS].split(";"):
        if not part.strip():
            continue
        if not rest and len(part) <= budget:
            parsed.append(part)
            budget -= len(part)
        else:
            rest.append(part)
    out = analyze_sql(";".join(parsed)) if parsed else []
    reason = None
    for part in rest:
        statement = _from_keywords(part.strip())
        out.append(statement)
        if statement.type not in _KEYWORDS_SUFFICE and reason is None:
            reason = f"analysis limit: SQL past {MAX_PARSE_CHARS:,} characters ({statement.type})"
    if len(sql) > MAX_SQL_CHARS:
        reason = reason or f"analysis limit: SQL longer than {MAX_SQL_CHARS:,} characters"
    return out, reason


def _analyze(sql: str) -> list[SqlStatement]:
    try:
        parsed = _parse(sql)
    except Exception:  # sqlglot raises many error types on odd input; read the keywords instead
        return [_from_keywords(part) for part in sql.split(";") if part.strip()]
    out: list[SqlStatement] = []
    for node in parsed:
        if not isinstance(node, exp.Expression):
            continue
        try:
            out.append(_statement(node))
        except Exception:
            out.append(_from_keywords(_node_sql(node)))
    return out


def _node_sql(node: exp.Expression) -> str:
    """The statement written back by sqlglot. It runs last, once nothing else reads the tree, so
    the generator may work on the tree itself: the copy it makes by default cost a third."""
    try:
        return str(_DIALECT.generate(node, copy=False))[:300]
    except Exception:
        return ""


def _tables(node: exp.Expression) -> tuple[str, ...]:
    return tuple(t.name.lower() for t in node.find_all(exp.Table) if t.name)


def _statement(node: exp.Expression) -> SqlStatement:
    text = node  # written back as text only when evidence needs it (SqlStatement.text)
    tables = _tables(node)
    if isinstance(node, exp.Command):
        return _from_keywords(f"{node.this} {node.expression or ''}")
    if isinstance(node, (exp.Delete, exp.Update)):
        where = node.args.get("where")
        state = "none" if where is None else "tautology" if _always_true(where.this) else "present"
        kind = "delete" if isinstance(node, exp.Delete) else "update"
        return SqlStatement(kind, "table", state, tables, (), text)
    if isinstance(node, exp.Drop):
        kind = str(node.args.get("kind") or "table").lower()
        actions = ("cascade",) if node.args.get("cascade") else ()
        return SqlStatement("drop", kind, "", tables, actions, text)
    if type(node).__name__ in ("TruncateTable", "Truncate"):
        return SqlStatement("truncate", "table", "", tables, (), text)
    if type(node).__name__ in ("Alter", "AlterTable"):
        kind = str(node.args.get("kind") or "table").lower()
        acts = tuple(
            "drop" if isinstance(a, exp.Drop) else type(a).__name__.lower()
            for a in node.args.get("actions") or []
        )
        return SqlStatement("alter", kind, "", tables, acts, text)
    if isinstance(node, exp.Create):
        kind = str(node.args.get("kind") or "table").lower()
        acts = ("replace",) if node.args.get("replace") else ()
        select = node.expression
        where = select.args.get("where") if isinstance(select, exp.Select) else None
        if where is not None and _always_false(where.this):
            acts += ("empty",)
        return SqlStatement("create", kind, "", tables, acts, text)
    if type(node).__name__ in ("Grant", "Revoke"):
        privs = tuple(
            str(_DIALECT.generate(p)).lower()
            for p in node.args.get("privileges") or []
            if hasattr(p, "sql")
        )
        return SqlStatement(type(node).__name__.lower(), "privilege", "", tables, privs, text)
    name = type(node).__name__.lower()
    if isinstance(node, (exp.Select, exp.Union)):
        name = "select"
    return SqlStatement(name, "", "", tables, (), text)


def _from_keywords(text: str) -> SqlStatement:
    """Read a statement sqlglot could not parse from its keywords."""
    words = [w.lower() for w in _WORDS.findall(text[:2000])]
    if not words:
        return SqlStatement("other", "", "", (), (), text[:300])
    kind = words[0]
    obj = next((w for w in words[1:4] if w in _OBJECTS), "")
    actions = tuple(sorted({w for w in words if w in _PRIVILEGE_ATTRS}))
    if kind in ("delete", "update"):
        has_where = "where" in words
        return SqlStatement(kind, "table", "present" if has_where else "none", (), (), text[:300])
    return SqlStatement(kind, obj, "", (), actions, text[:300])


def _literal_value(node: exp.Expression) -> object:
    if isinstance(node, exp.Literal):
        if node.is_string:
            return str(node.this)
        try:
            return float(node.this)
        except ValueError:
            return str(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Paren):
        return _literal_value(node.this)
    return _NOT_LITERAL


_NOT_LITERAL = object()
_COMPARE: dict[type[exp.Expression], Callable[[Any, Any], bool]] = {
    exp.EQ: lambda a, b: a == b,
    exp.NEQ: lambda a, b: a != b,
    exp.GT: lambda a, b: a > b,
    exp.GTE: lambda a, b: a >= b,
    exp.LT: lambda a, b: a < b,
    exp.LTE: lambda a, b: a <= b,
}


def _always_true(node: exp.Expression) -> bool:
    """True when a WHERE condition holds for every row (`1=1`, `'a'='a' OR …`, `TRUE`, `x=x`)."""
    if isinstance(node, exp.Paren):
        return _always_true(node.this)
    if isinstance(node, exp.Or):
        if _null_complement(node.this, node.expression):
            return True  # x IS NULL OR x IS NOT NULL
        return _always_true(node.this) or _always_true(node.expression)
    if isinstance(node, exp.And):
        return _always_true(node.this) and _always_true(node.expression)
    if isinstance(node, exp.Not):
        return _always_false(node.this)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal):
        value = _literal_value(node)
        return isinstance(value, float) and value != 0
    if _matches_all_rows(node):
        return True
    compare = _COMPARE.get(type(node))
    if compare is not None:
        left, right = node.this, node.expression
        if (
            isinstance(node, (exp.EQ, exp.GTE, exp.LTE))
            and left == right
            and not isinstance(left, exp.Literal)
        ):
            return True  # a column compared with itself
        a, b = _literal_value(left), _literal_value(right)
        if a is _NOT_LITERAL or b is _NOT_LITERAL:
            return False
        try:
            return bool(compare(a, b))
        except TypeError:
            return False
    if isinstance(node, exp.Like):
        pattern = _literal_value(node.expression)
        return isinstance(pattern, str) and pattern.strip("%") == ""
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        return False
    return False


_NOW = frozenset(
    {
        "currenttimestamp",
        "currentdate",
        "currentdatetime",
        "now",
        "getdate",
        "sysdate",
        "systimestamp",
        "localtimestamp",
        "currenttime",
    }
)


def _is_now(node: exp.Expression) -> bool:
    name = type(node).__name__.lower()
    if name in _NOW:
        return True
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower().replace("_", "") in _NOW
    return False


def _matches_all_rows(node: exp.Expression) -> bool:
    """Conditions that look selective but match (nearly) every row: `created_at < now()`,
    `id > 0`."""
    left, right = node.args.get("this"), node.args.get("expression")
    if not isinstance(left, exp.Expression) or not isinstance(right, exp.Expression):
        return False
    if isinstance(node, (exp.LT, exp.LTE)) and isinstance(left, exp.Column) and _is_now(right):
        return True
    if isinstance(node, (exp.GT, exp.GTE)) and isinstance(right, exp.Column) and _is_now(left):
        return True
    if isinstance(node, (exp.GT, exp.GTE)) and isinstance(left, exp.Column):
        value = _literal_value(right)
        column = left.name.lower()
        if (
            isinstance(value, float)
            and column.endswith("id")
            and value <= (0 if isinstance(node, exp.GT) else 1)
        ):
            return True
    return False


def _null_check(node: exp.Expression) -> tuple[exp.Expression, bool] | None:
    """(column, negated) for `x IS NULL` / `x IS NOT NULL` / `NOT x IS NULL`."""
    negated = False
    while isinstance(node, (exp.Not, exp.Paren)):
        negated ^= isinstance(node, exp.Not)
        node = node.this
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        return node.this, negated
    return None


def _null_complement(a: exp.Expression, b: exp.Expression) -> bool:
    x, y = _null_check(a), _null_check(b)
    return x is not None and y is not None and x[0] == y[0] and x[1] != y[1]


def _always_false(node: exp.Expression) -> bool:
    if isinstance(node, exp.Paren):
        return _always_false(node.this)
    if isinstance(node, exp.Boolean):
        return not node.this
    if isinstance(node, exp.Literal):
        value = _literal_value(node)
        return isinstance(value, float) and value == 0
    compare = _COMPARE.get(type(node))
    if compare is not None:
        a, b = _literal_value(node.this), _literal_value(node.expression)
        if a is _NOT_LITERAL or b is _NOT_LITERAL:
            return False
        try:
            return not compare(a, b)
        except TypeError:
            return False
    return False
