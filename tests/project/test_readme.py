"""The documentation's examples run as written: the README's curl walkthrough against a real
`magistrate serve`, in order; the MCP Python example keeps its audit trail where the
environment says; and the README and docs link only to files inside the repository."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import ProcessServer

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def block_after(path: Path, marker: str, lang: str) -> str:
    """The first fenced block of `lang` after the line holding `marker`."""
    text = path.read_text(encoding="utf-8")
    at = text.index(marker)
    start = text.index(f"```{lang}\n", at) + len(f"```{lang}\n")
    return text[start : text.index("```", start)]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "MAGISTRATE_DATABASE_URL": f"sqlite:///{tmp_path}/m.db",
        "MAGISTRATE_SPOOL_DIR": str(tmp_path / "spool"),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("MAGISTRATE_REDIS_URL", None)
    env.pop("MAGISTRATE_ESCALATION", None)
    env.pop("MAGISTRATE_KEY", None)
    return env


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_curl_walkthrough_runs_in_order(tmp_path: Path) -> None:
    marker = "tests/project/test_readme.py` runs this block"
    script = block_after(ROOT / "README.md", marker, "bash")
    env = _env(tmp_path)
    with ProcessServer(env, tmp_path) as server:
        admin = next(w for w in server.output().split() if w.startswith("mgk_"))
        r = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env={**env, "MAGISTRATE_URL": server.url, "MAGISTRATE_KEY": admin},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert r.returncode == 0, r.stdout + r.stderr
    replies = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    first, batch, waited, again, standing, lifted = replies
    assert (first["decision"], first["risk"], first["principal"]) == (
        "escalate",
        "CRITICAL",
        "agent:etl-7",
    )
    assert [v["decision"] for v in batch["verdicts"]] == ["allow", "deny"]
    assert {v["principal"] for v in batch["verdicts"]} == {"agent:ops-bot"}
    assert (waited["status"], waited["decision"], waited["resolved_by"]) == (
        "approved",
        "allow",
        "alice",
    )
    assert again["decision"] == "allow" and again["approval_id"] == first["approval_id"]
    assert standing["suspended"] is True and "CRITICAL" in standing["reason"]
    assert lifted["suspended"] is False


def test_mcp_python_example_writes_where_the_environment_says(tmp_path: Path) -> None:
    if not (BIN / "mcp-server-time").exists():
        pytest.skip("mcp-server-time is not installed")
    example = block_after(ROOT / "docs" / "integrations.md", "### From Python", "python")
    (tmp_path / "example.py").write_text(example)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = _env(tmp_path)
    r = subprocess.run(
        [sys.executable, str(tmp_path / "example.py")],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Asia/Tokyo" in r.stdout
    assert not (work / ".magistrate").exists()  # nothing landed in the working directory
    from magistrate.db import AuditFilter, open_database

    db = open_database(env["MAGISTRATE_DATABASE_URL"])
    tools = [json.loads(row.body).get("tool") for row in db.audit_rows(AuditFilter())]
    db.close()
    assert "get_current_time" in tools


LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_readme_and_docs_link_only_inside_the_repository() -> None:
    problems = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if target.startswith("#"):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            if "://" in target or not path.is_relative_to(ROOT) or not path.exists():
                problems.append(f"{page.relative_to(ROOT)}: {target}")
    assert problems == []
