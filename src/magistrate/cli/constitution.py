"""`constitution validate | test | show`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from magistrate.cli.app import (
    EXIT_ERROR,
    RISK_STYLE,
    _governor,
    constitution_app,
    err,
    out,
    state,
)
from magistrate.errors import ConstitutionError


@constitution_app.command("validate")
def constitution_validate(
    file: Annotated[Path, typer.Argument(help="The constitution YAML to check.")],
) -> None:
    """Check a constitution file and run its examples; list every problem (exit 0 when valid,
    3 otherwise)."""
    from magistrate.constitution import load_constitution

    try:
        loaded = load_constitution(file)
    except ConstitutionError as exc:
        for problem in exc.problems:
            err.print(f"error: {problem}", markup=False)
        err.print(f"{len(exc.problems)} problem(s) in {file}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    report = _run_examples(loaded)
    m = loaded.model
    if report.failed:
        err.print(f"{report.failed} example(s) failed in {file}", markup=False)
        raise typer.Exit(EXIT_ERROR)
    out.print(
        f"valid: {m.name} — {len(m.articles)} articles, {len(m.rules)} rules, "
        f"{len(m.roles)} roles; version {loaded.version}; {report.passed} examples pass",
        markup=False,
    )


def _run_examples(loaded: Any, show: bool = True) -> Any:
    """Every rule's examples through the real detector; failures printed with their rule id."""
    from magistrate.rulecheck import check_examples

    report = check_examples(loaded)
    for failure in report.failures if show else ():
        err.print(f"FAIL {failure}", markup=False)
    return report


@constitution_app.command("test")
def constitution_test(
    file: Annotated[
        str | None, typer.Argument(help="Constitution: a file or a built-in name (default).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Figures as JSON.")] = False,
) -> None:
    """Run every rule's examples through the engine (exit 0 when all pass, 1 otherwise)."""
    from magistrate.constitution import load_constitution

    ref = file or (str(state().constitution) if state().constitution else "default")
    try:
        loaded = load_constitution(ref)
    except ConstitutionError as exc:
        for problem in exc.problems:
            err.print(f"error: {problem}", markup=False)
        raise typer.Exit(EXIT_ERROR) from None
    report = _run_examples(loaded, show=not as_json)
    if as_json:
        out.print(json.dumps(report.to_dict()), markup=False)
    else:
        out.print(
            f"{loaded.name}: {report.rules} rules, {report.with_examples} with examples, "
            f"{report.passed} examples pass, {report.failed} fail; "
            f"{len(report.without)} rules lack a match or no_match example",
            markup=False,
        )
    if report.failed:
        raise typer.Exit(1)


@constitution_app.command("show")
def constitution_show(
    as_json: Annotated[
        bool, typer.Option("--json", help="The whole constitution as JSON.")
    ] = False,
) -> None:
    """Show the articles and rules in force."""
    governor = _governor()
    loaded = governor.constitution
    m = loaded.model
    if as_json:
        out.print_json(
            json.dumps({"version": loaded.version, **m.model_dump(mode="json", by_alias=True)})
        )
        return
    out.print(f"[bold]{m.name}[/]  version {loaded.version}")
    out.print(m.description.strip(), markup=False)
    by_article: dict[str, list[Any]] = {}
    for rule in m.rules:
        by_article.setdefault(rule.article, []).append(rule)
    for seq in m.sequences:
        by_article.setdefault(seq.article, []).append(seq)
    for article in m.articles:
        out.print(f"\n[bold]Art. {article.number} — {article.title}[/] ({article.id})")
        out.print(article.text.strip(), markup=False)
        for rule in by_article.get(article.id, []):
            decision = f" → {rule.decision.value}" if rule.decision else ""
            out.print(
                f"  [{RISK_STYLE[rule.risk.value]}]{rule.risk.value:<8}[/] {rule.id}{decision}: ",
                end="",
            )
            out.print(rule.description, markup=False)
    policy = m.policy
    out.print(
        f"\npolicy: LOW→{policy.LOW.value}, MEDIUM→{policy.MEDIUM.value}, "
        f"HIGH→{policy.HIGH.value}, CRITICAL→{policy.CRITICAL.value}"
    )
    for name, role in m.roles.items():
        out.print(
            f"role {name}: kinds {', '.join(role.kinds)}; max risk {role.max_risk.value}",
            markup=False,
        )
