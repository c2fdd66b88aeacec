"""SQL analysis with sqlglot: statement type, object, WHERE clause, tables, privileges.

`DELETE FROM users` and `DELETE FROM users WHERE 1=1` both delete every row; `SELECT … FROM
drop_reasons` reads. Statements sqlglot cannot parse (it falls back to a generic command) are
read from their leading keywords, so `GRANT ALL …` or `ALTER USER … SUPERUSER` are still seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import re2  # type: ignore[import-untyped]

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


@dataclass(frozen=True, slots=True)
class SqlStatement:
    """What one SQL statement does."""

    type: str  # select insert update delete drop truncate alter grant revoke create merge copy…
    object: str  # table, database, schema, user… ('' when not applicable)
    where: str  # 'none', 'tautology', 'present', or '' when the statement has no WHERE
    tables: tuple[str, ...]
    actions: tuple[str, ...]  # ALTER actions (drop, add…) and privileges/attributes granted
    text: str


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
    # sqlglot takes ~100 ms to import: loaded with the first SQL there is to parse, so that a
    # process that never reads SQL (the Claude Code hook on `git status`) does not pay for it
    from magistrate.analysis.sql_tree import analyze_tree

    return analyze_tree(sql)


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
