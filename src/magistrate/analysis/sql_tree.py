"""SQL statements read from sqlglot's syntax tree: statement type, object, WHERE clause,
tables, privileges (`analysis.sql` is the entry point; this module loads sqlglot, compiled by
`sqlglotc` where installed)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp

from magistrate.analysis.sql import SqlStatement, _from_keywords

logging.getLogger("sqlglot").setLevel(logging.CRITICAL)
# What `sqlglot.parse(sql)` and `node.sql()` build on every call (the default dialect, its
# tokenizer and parser), built once; the tokenizer and parser once per thread, as both keep the
# state of the text they read (each resets it when it starts).
_DIALECT = sqlglot.Dialect.get_or_raise(None)
# Backtick-quoted names are MySQL's (and BigQuery's): the default dialect read
# `UPDATE \`t\` SET … WHERE \`id\` = 3` as an UPDATE of a table named "`" with no WHERE.
# BigQuery quotes a whole `project.dataset.table` path in one pair of backticks.
_DIALECTS = {
    "tools": _DIALECT,
    "mysql_tools": sqlglot.Dialect.get_or_raise("mysql"),
    "bigquery_tools": sqlglot.Dialect.get_or_raise("bigquery"),
}
_DOTTED_BACKTICKS = re.compile(r"`[^`\n]*\.[^`\n]*`")
_LOCAL = threading.local()


def _parse(sql: str) -> list[Any]:
    """`sqlglot.parse(sql, error_level=IGNORE)`, without building a dialect, tokenizer and
    parser for every statement."""
    name = "tools"
    if "`" in sql:
        name = "bigquery_tools" if _DOTTED_BACKTICKS.search(sql) else "mysql_tools"
    tools = getattr(_LOCAL, name, None)
    if tools is None:
        dialect = _DIALECTS[name]
        tools = (dialect.tokenizer(), dialect.parser(error_level=sqlglot.ErrorLevel.IGNORE))
        setattr(_LOCAL, name, tools)
    tokenizer, parser = tools
    return list(parser.parse(tokenizer.tokenize(sql), sql))


def analyze_tree(sql: str) -> list[SqlStatement]:
    """Every statement sqlglot finds in `sql`; what it cannot read is read by keywords."""
    try:
        parsed = _parse(sql)
    except Exception:  # sqlglot raises many error types on odd input; read the keywords instead
        return [_from_keywords(part) for part in sql.split(";") if part.strip()]
    out: list[SqlStatement] = []
    created: set[str] = set()  # tables this batch made: dropping them again removes nothing
    # One statement whose WHERE the parser dropped (T-SQL's `UPDATE … FROM … JOIN … WHERE`):
    # a WHERE is there, unread; never read as none.
    lost_where = len(parsed) == 1 and _WHERE_WORD.search(sql) is not None
    for node in parsed:
        if not isinstance(node, exp.Expression):
            continue
        try:
            statement = _statement(node, lost_where)
        except Exception:
            out.append(_from_keywords(node_sql(node)))
            continue
        out.extend(_inner_writes(node))  # `WITH gone AS (DELETE FROM t RETURNING *) SELECT …`
        if statement.type == "create" and statement.object == "table" and statement.tables:
            created.add(statement.tables[0])
        elif (  # only what this batch made
            statement.type == "drop"
            and statement.object == "table"
            and statement.tables
            and set(statement.tables) <= created
        ):
            statement.object = "own-table"
        out.append(statement)
    return out


def node_sql(node: exp.Expression) -> str:
    """The statement written back by sqlglot. It runs last, once nothing else reads the tree, so
    the generator may work on the tree itself: the copy it makes by default cost a third."""
    try:
        return str(_DIALECT.generate(node, copy=False))[:300]
    except Exception:
        return ""


def _tables(node: exp.Expression) -> tuple[str, ...]:
    """The tables a statement names, with their schema and catalog (`dev_db.scratch.sample`:
    a scratch schema makes its tables scratch)."""
    return tuple(
        ".".join(p for p in (t.catalog, t.db, t.name) if p).lower()
        for t in node.find_all(exp.Table)
        if t.name
    )


def _statement(node: exp.Expression, lost_where: bool = False) -> SqlStatement:
    text = node  # written back as text only when evidence needs it (SqlStatement.text)
    tables = _tables(node)
    if isinstance(node, exp.Command):
        return _from_keywords(f"{node.this} {node.expression or ''}")
    if isinstance(node, (exp.Delete, exp.Update)):
        kind = "delete" if isinstance(node, exp.Delete) else "update"
        return SqlStatement(kind, "table", _where_state(node, lost_where), tables, (), text)
    if isinstance(node, exp.Merge) and _merge_deletes_all(node):
        return SqlStatement("delete", "table", "tautology", tables[:1], (), text)
    if isinstance(node, exp.Insert) and node.args.get("overwrite"):
        select = node.expression
        where = select.args.get("where") if isinstance(select, exp.Select) else None
        if where is not None and _always_false(where.this):  # the table replaced by nothing
            return SqlStatement("truncate", "table", "", tables[:1], (), text)
    if isinstance(node, exp.Drop):
        kind = str(node.args.get("kind") or "table").lower()
        actions = ("cascade",) if node.args.get("cascade") else ()
        if kind == "schema":  # sqlglot names a dropped schema as a table's db part
            tables = tuple(t.text("db").lower() for t in node.find_all(exp.Table) if t.text("db"))
        return SqlStatement("drop", kind, "", tables, actions, text)
    if type(node).__name__ in ("TruncateTable", "Truncate"):
        return SqlStatement("truncate", "table", "", tables, (), text)
    if type(node).__name__ in ("Alter", "AlterTable"):
        kind = str(node.args.get("kind") or "table").lower()
        acts = tuple(
            "drop" if isinstance(a, exp.Drop) else type(a).__name__.lower()
            for a in node.args.get("actions") or []
        )
        if any(  # `ALTER COLUMN total TYPE integer USING 0`: every row's value replaced
            isinstance(a, exp.AlterColumn)
            and isinstance(a.args.get("using"), (exp.Literal, exp.Null, exp.Boolean))
            for a in node.args.get("actions") or []
        ):
            acts += ("empty",)
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
        return SqlStatement("select", "", "", tables, _secrets_selected(node, tables), text)
    return SqlStatement(name, "", "", tables, (), text)


_WHERE_WORD = re.compile(r"\bwhere\b", re.I)


def _where_state(node: exp.Expression, lost_where: bool) -> str:
    """'none', 'tautology' (every row) or 'present' for a DELETE or UPDATE: its WHERE, or the
    join conditions that choose its rows (`DELETE t1 FROM t t1 JOIN t t2 ON …`)."""
    where = node.args.get("where")
    conditions = [where.this] if where is not None else []
    conditions += [j.args["on"] for j in _own(node, exp.Join) if j.args.get("on") is not None]
    if not conditions:
        return "present" if lost_where else "none"
    if _always_true(conditions[0]):
        return "tautology"
    if not any(map(_narrows, conditions)) and not _chosen_in_with(node):
        return "tautology"
    return "present"


def _chosen_in_with(node: exp.Expression) -> bool:
    """Whether the statement joins rows a CTE of its own chose (`WITH batch AS (SELECT id …
    WHERE word_count IS NULL LIMIT 2000) UPDATE … FROM batch WHERE d.id = batch.id`)."""
    with_ = node.args.get("with_")
    if with_ is None:
        return False
    for cte in with_.expressions:
        body = cte.this
        where = body.args.get("where") if isinstance(body, exp.Select) else None
        if isinstance(body, exp.Select) and (
            body.args.get("limit") is not None or (where is not None and _narrows(where.this))
        ):
            return True
    return False


def _own(node: exp.Expression, kind: type[exp.Expression]) -> list[Any]:
    """The nodes of a kind in a statement, not inside a subquery of it."""
    return [n for n in node.find_all(kind) if n.find_ancestor(exp.Subquery, exp.Select) is None]


# Comparisons that choose rows by what they hold.
_PREDICATES = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike,
               exp.In, exp.Between, exp.Is)  # fmt: skip
_COLUMN_ORDER = (exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def _narrows(condition: exp.Expression) -> bool:
    """Whether a condition chooses some rows: one of its comparisons (here or in a subquery it
    reads) holds a value (a literal, a parameter, a function's result) or orders two columns
    (`t1.id > t2.id`). Joins on equal columns (`p.account_id = a.id`, `p.id = q.id`), `IN
    (SELECT id FROM orders)` and `EXISTS (SELECT 1)` choose every row that has a partner."""
    for predicate in condition.find_all(*_PREDICATES):
        if isinstance(predicate, exp.Is):
            column = predicate.this
            negated = isinstance(predicate.parent, exp.Not)
            if not (negated and isinstance(column, exp.Column) and _ID_COLUMN.search(column.name)):
                return True  # `deleted_at IS NULL`; not a key IS NOT NULL (every row has one)
            continue
        if isinstance(predicate, _COLUMN_ORDER) and all(
            isinstance(side, exp.Column) for side in (predicate.this, predicate.expression)
        ):
            return True
        operands = [predicate.this, *predicate.args.get("expressions", []), predicate.expression]
        operands += [predicate.args.get("low"), predicate.args.get("high")]
        if any(_holds_value(o) for o in operands if isinstance(o, exp.Expression)):
            return True
    return False


def _holds_value(node: exp.Expression) -> bool:
    """A literal, a parameter or a computed value (not a column, a subquery or a bare star)."""
    if isinstance(node, exp.Column) and node.name[:1] in ("$", "@", ":", "?"):
        return True  # `$1`, `@id`: a bound parameter, read as a column name
    if isinstance(node, (exp.Column, exp.Subquery, exp.Select, exp.Star, exp.Paren)):
        return isinstance(node, exp.Paren) and _holds_value(node.this)
    return True


_ID_COLUMN = re.compile(r"(^|_)id$|[a-z]Id$|ID$|^rowid$|^oid$", re.I)


def _merge_deletes_all(node: exp.Expression) -> bool:
    """`MERGE INTO t USING (SELECT 1) s ON 1=1 WHEN MATCHED THEN DELETE`: every row deleted."""
    on = node.args.get("on")
    deletes = any("DELETE" in node_sql(w).upper() for w in node.args.get("whens") or [])
    return deletes and isinstance(on, exp.Expression) and _always_true(on)


def _inner_writes(node: exp.Expression) -> list[SqlStatement]:
    """DELETEs and UPDATEs inside another statement (a CTE's `DELETE … RETURNING`)."""
    if isinstance(node, (exp.Delete, exp.Update)) or not node.args.get("with_"):
        return []
    found = node.args["with_"].find_all(exp.Delete, exp.Update)
    return [_statement(inner) for inner in found]


# Columns and tables that hold credentials or card data: read in bulk, they are secrets read.
# (The credential word ends the name, or a word for its stored form does: `password_hash`,
# `totp_seed`, `refresh_token`; not `password_expired`, `token_type`, `password_reset_sent_at`.)
_SECRET_COLUMN = re.compile(
    r"(^|_)(password|passwd|pass|pwd|secret|token|api_?key|private_key|signing_key|totp"
    r"|otp|recovery_codes?|cvv|cvc|card_number|ssn)"
    r"(_(hash|hashed|digest|seed|value|plain|plaintext|enc|encrypted|salt|raw|b64|hex))?$",
    re.I,
)
_SECRET_TABLE = re.compile(
    r"(^|_)(credentials?|secrets|api_keys|access_tokens|oauth_tokens|password_resets)$", re.I
)


def _secrets_selected(node: exp.Expression, tables: tuple[str, ...]) -> tuple[str, ...]:
    """`("secret-columns",)` when a SELECT returns credential columns (`password_hash`,
    `refresh_token`, `cvv`), or all the columns of a credentials table; else `()`."""
    if not isinstance(node, exp.Select):
        return ()
    for expression in node.expressions:
        for column in expression.find_all(exp.Column):
            if _SECRET_COLUMN.search(_snake(column.name)) and not isinstance(
                column.parent, (exp.Count, exp.Anonymous)
            ):
                return ("secret-columns",)
        if (
            (isinstance(expression, exp.Star) or expression.find(exp.Star) is not None)
            and any(_SECRET_TABLE.search(t) for t in tables)
            and not node.find(exp.Count)
        ):
            return ("secret-columns",)
    if any(t == "api_keys" for t in tables) and any(
        isinstance(c, exp.Column) and c.name.lower() == "key" for c in node.expressions
    ):
        return ("secret-columns",)
    return ()


def _snake(name: str) -> str:
    """`mfaSecret` → `mfa_Secret` (the regexes read `_` as a word's edge)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)


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
        if _null_complement(node.this, node.expression) or _complement(node.this, node.expression):
            return True  # x IS NULL OR x IS NOT NULL; x <> '' OR x = ''

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


# Columns that hold a time still to come for live rows (`expires_at < now()` is the expired
# ones, a cleanup), unlike when a row was made or changed (`created_at < now()` is every row).
_DEADLINE = re.compile(
    r"expir|valid_?(until|to|thru)|until|deadline|due|ends?_?(at|on)|scheduled|next_|retry|lock"
    r"|lease|ttl|cutoff|purge_?after|delete_?after|keep_?until",
    re.I,
)


_BEFORE_ANY_ROW = re.compile(r"^(1[0-8]\d\d|19[0-6]\d|1970)-\d\d-\d\d")


def _matches_all_rows(node: exp.Expression) -> bool:
    """Conditions that look selective but match (nearly) every row: `created_at < now()`,
    `id > 0`."""
    left, right = node.args.get("this"), node.args.get("expression")
    if not isinstance(left, exp.Expression) or not isinstance(right, exp.Expression):
        return False
    if isinstance(node, (exp.LT, exp.LTE)) and isinstance(left, exp.Column) and _is_now(right):
        return not _DEADLINE.search(left.name)
    if isinstance(node, (exp.GT, exp.GTE)) and isinstance(right, exp.Column) and _is_now(left):
        return not _DEADLINE.search(right.name)
    if isinstance(node, (exp.GT, exp.GTE)) and isinstance(left, exp.Column):
        value = _literal_value(right)
        column = left.name.lower()
        if isinstance(value, str) and _BEFORE_ANY_ROW.match(value):
            return True  # `created_at > '1970-01-01'`: every row was made after
        if column == "rownum" and isinstance(value, float) and value <= 1:
            return True  # Oracle's ROWNUM > 0
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


_OPPOSITE: dict[type[exp.Expression], type[exp.Expression]] = {
    exp.EQ: exp.NEQ, exp.NEQ: exp.EQ, exp.LT: exp.GTE, exp.GTE: exp.LT, exp.GT: exp.LTE,
    exp.LTE: exp.GT,
}  # fmt: skip


def _complement(a: exp.Expression, b: exp.Expression) -> bool:
    """`x <> v OR x = v`, `x < v OR x >= v`: one side or the other holds for every row."""
    a, b = _unparen(a), _unparen(b)
    return (
        _OPPOSITE.get(type(a)) is type(b)
        and a.this == b.this
        and a.args.get("expression") == b.args.get("expression")
    )


def _unparen(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


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
