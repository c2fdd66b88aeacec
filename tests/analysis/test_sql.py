"""SQL facts with sqlglot: statement, object, WHERE state, tables, privileges, dynamic SQL."""

from __future__ import annotations

import pytest

from magistrate.analysis.sql import analyze_sql, fold_literals


@pytest.mark.parametrize(
    ("sql", "kind", "obj", "where"),
    [
        ("DROP TABLE customers", "drop", "table", ""),
        ("drop database if exists analytics", "drop", "database", ""),
        ("TRUNCATE users, orders", "truncate", "table", ""),
        ("DELETE FROM users", "delete", "table", "none"),
        ("DELETE FROM users WHERE 1=1", "delete", "table", "tautology"),
        ("DELETE FROM users WHERE 'a' = 'a' OR id = 3", "delete", "table", "tautology"),
        ("DELETE FROM users WHERE TRUE", "delete", "table", "tautology"),
        ("DELETE FROM users WHERE id = id", "delete", "table", "tautology"),
        ("DELETE FROM users WHERE name LIKE '%'", "delete", "table", "tautology"),
        ("DELETE FROM users WHERE NOT 1=2", "delete", "table", "tautology"),
        ("DELETE FROM users WHERE id = 42", "delete", "table", "present"),
        ("DELETE FROM users WHERE 1=2", "delete", "table", "present"),
        # every row was made before now; not every session has expired (blind28)
        ("DELETE FROM events WHERE created_at < now()", "delete", "table", "tautology"),
        ("DELETE FROM sessions WHERE expires_at < now()", "delete", "table", "present"),
        ("DELETE FROM jobs WHERE now() > lease_expires_at", "delete", "table", "present"),
        # backtick-quoted names, MySQL's and BigQuery's (the default dialect misread them)
        (
            "UPDATE `employees` SET `salary` = 72000 WHERE `employee_id` = 3381",
            "update",
            "table",
            "present",
        ),
        ("UPDATE `employees` SET `salary` = 0", "update", "table", "none"),
        ("DELETE FROM `prod-project.crm.contacts` WHERE 1=1", "delete", "table", "tautology"),
        ("UPDATE accounts SET balance = 0", "update", "table", "none"),
        ("UPDATE accounts SET balance = 0 WHERE id = 7", "update", "table", "present"),
        ("SELECT * FROM drop_reasons", "select", "", ""),
    ],
)
def test_statement_facts(sql: str, kind: str, obj: str, where: str) -> None:
    st = analyze_sql(sql)[0]
    assert (st.type, st.object, st.where) == (kind, obj, where)


def test_tables_are_read_from_the_statement() -> None:
    assert analyze_sql("SELECT a FROM drop_reasons WHERE x = 1")[0].tables == ("drop_reasons",)


def test_alter_drop_and_grants() -> None:
    assert "drop" in analyze_sql("ALTER TABLE users DROP COLUMN email")[0].actions
    grant = analyze_sql("GRANT ALL PRIVILEGES ON *.* TO 'x'@'%'")[0]
    assert grant.type == "grant" and "all" in grant.actions
    role = analyze_sql("ALTER ROLE etl WITH SUPERUSER")[0]
    assert role.type == "alter" and role.object == "role" and "superuser" in role.actions


def test_a_grant_read_by_keywords_grants_what_precedes_on() -> None:
    """`ON ALL TABLES IN SCHEMA` (which sqlglot does not parse) names what is granted on, not
    the privileges: `ALL` there is no `ALL PRIVILEGES`."""
    read = analyze_sql("GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO analytics_ro")[0]
    assert read.type == "grant" and read.actions == ()
    every = analyze_sql("GRANT ALL ON ALL TABLES IN SCHEMA public TO contractor")[0]
    assert every.actions == ("all",)
    passed_on = analyze_sql("GRANT SELECT ON ALL TABLES IN SCHEMA x TO y WITH GRANT OPTION")[0]
    assert passed_on.actions == ("grant",)


def test_multiple_statements() -> None:
    kinds = [st.type for st in analyze_sql("select 1; drop table sessions")]
    assert kinds == ["select", "drop"]


def test_dynamic_sql_with_concatenation_is_unfolded() -> None:
    assert fold_literals("EXEC('DR' + 'OP TABLE t')") == "EXEC('DROP TABLE t')"
    kinds = [st.type for st in analyze_sql("EXEC('DR' + 'OP TABLE dbo.Customers');")]
    assert "drop" in kinds
    kinds = [st.type for st in analyze_sql("EXECUTE IMMEDIATE 'TRUNCATE TABLE ' || 'users'")]
    assert "truncate" in kinds


@pytest.mark.parametrize("garbage", ["", ";;;", "DROP", "((((", "SELECT 'unterminated", "\x00\x01"])
def test_never_raises(garbage: str) -> None:
    analyze_sql(garbage)


def test_a_bigquery_path_in_backticks_names_its_table() -> None:
    st = analyze_sql("CREATE OR REPLACE TABLE `p.scratch.monthly` AS SELECT a FROM `p.fin.gl`")[0]
    assert st.tables[0] == "p.scratch.monthly"  # with its project and dataset (scratch here)
