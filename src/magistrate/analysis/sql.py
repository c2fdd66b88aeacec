"""SQL analysis with sqlglot: statement type, object, WHERE clause, tables, privileges.

`DELETE FROM users` and `DELETE FROM users WHERE 1=1` both delete every row; `SELECT … FROM
drop_reasons` reads. Statements sqlglot cannot parse (it falls back to a generic command) are
read from their leading keywords, so `GRANT ALL …` or `ALTER USER … SUPERUSER` are still seen.
"""

from __future__ import annotations

import re
from typing import Any

import re2  # type: ignore[import-untyped]

from magistrate.analysis import rx

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
        "owned",  # `DROP OWNED BY role`: everything the role owns
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
        # the platforms' administrator roles, granted by name (`GRANT ROLE ACCOUNTADMIN TO …`)
        "accountadmin",
        "securityadmin",
        "orgadmin",
        "useradmin",
        "sysdba",
        "sysoper",
        "db_owner",
        "rds_superuser",
        "cloudsqlsuperuser",
        "azure_pg_admin",
        # PostgreSQL's roles that read and write the server's files or run its programs
        "pg_read_server_files",
        "pg_write_server_files",
        "pg_execute_server_program",
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
        text: Any,  # the text, or sqlglot's tree to write it back from on first use
    ) -> None:
        self.type = type
        self.object = object
        self.where = where
        self.tables = tables
        self.actions = actions
        self._node = None if isinstance(text, str) else text
        self._text = text if isinstance(text, str) else None

    @property
    def text(self) -> str:
        """The statement's text (at most 300 characters)."""
        text = self._text
        if text is None:
            text = self._text = _written_back(self._node) if self._node is not None else ""
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
    r"(?i)\b(?:exec(?:ute)?(?:\s+immediate|\s+format\s*\()?|sp_executesql|prepare\s+\w+\s+from)"
    r"\s*\(?\s*N?"
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


_CONCAT_ANY = re.compile(r"""(['"])((?:(?!\1).)*)\1\s*\+\s*(['"])((?:(?!\3).)*)\3""")


def fold_concatenation(text: str) -> str:
    """`'Inv'+'oke'` and `"a" + 'b'` → one literal (PowerShell, JavaScript, Python style)."""
    # Each pass joins every other pair (`'a'+'b'+'c'+'d'` → `'ab'+'cd'`): log passes, each linear
    # (one join per pass took quadratic time on long concatenations).
    for _ in range(32):
        # in the first piece's quotes: `"a" + 'b'` is `"ab"`, not `"ab'`
        folded = _CONCAT_ANY.sub(lambda m: m.group(1) + m.group(2) + m.group(4) + m.group(1), text)
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
    # sqlglot loads with the first SQL to parse: a hook that sees none starts faster.
    from magistrate.analysis.sql_tree import analyze_tree

    return analyze_tree(sql)


def _from_keywords(text: str) -> SqlStatement:
    """Read a statement sqlglot could not parse from its keywords."""
    words = [w.lower() for w in _WORDS.findall(text[:2000])]
    if not words:
        return SqlStatement("other", "", "", (), (), text[:300])
    kind = words[0]
    if words[:3] == ["alter", "default", "privileges"] and (m := _DEFAULT_GRANT.search(text)):
        return _from_keywords(text[m.start() :])  # the GRANT (or REVOKE) it sets for new objects
    obj = next((w for w in words[1:4] if w in _OBJECTS), "")
    granted = words[1:]  # not the verb (`grant` is also WITH GRANT OPTION's word)
    if kind in ("grant", "revoke") and "on" in words:  # `GRANT SELECT ON ALL TABLES IN …`
        on = words.index("on")
        granted = words[1:on] + (words[words.index("with") :] if "with" in words[on:] else [])
    actions = tuple(sorted({w for w in granted if w in _PRIVILEGE_ATTRS}))
    if kind == "alter" and "drop" in words:  # `ALTER TABLE t DROP COLUMN a, b` unparsed
        actions = (*actions, "drop")
    if kind == "create" and obj in ("database", "schema", "tablespace"):
        actions = tuple(a for a in actions if a != "owner")  # `CREATE DATABASE t OWNER app`
    if kind in ("delete", "update"):
        has_where = "where" in words
        return SqlStatement(kind, "table", "present" if has_where else "none", (), (), text[:300])
    named: tuple[str, ...] = ()
    if kind in ("drop", "truncate") and obj:  # `DROP KEYSPACE IF EXISTS telemetry_test`
        m = _NAMED.search(text[:2000])
        named = (m.group(1).strip('`"[]').lower(),) if m else ()
    return SqlStatement(kind, obj, "", named, actions, text[:300])


_DEFAULT_GRANT = re.compile(r"(?i)\b(grant|revoke)\b")
_NAMED = re.compile(
    r"(?i)\b(?:drop|truncate)\s+\w+(?:\s+if\s+exists)?\s+([`\"\[]?[\w.$-]+[`\"\]]?)"
)


def _written_back(node: Any) -> str:
    from magistrate.analysis.sql_tree import node_sql

    return node_sql(node)
