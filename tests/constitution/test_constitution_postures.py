"""Postures: the built-in `default` and `strict` constitutions by name, and `extends` (add,
override, disable rules in a small file)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from magistrate import Action, ConstitutionError, Governor
from magistrate.config import Settings
from magistrate.constitution import load_constitution
from magistrate.levels import Decision
from magistrate.risk import RiskDetector

# What a person approves under `strict` (and `default` lets through).
STRICT_ESCALATES = [
    "sudo apt-get install -y build-essential",
    "brew install --cask docker",
    "pip install requests",
    "python -m pip install flask",
    "npm install -g pm2",
    "yarn add lodash",
    "cargo install cargo-watch",
    "go install github.com/air-verse/air@latest",
    "su - root",
    "sudo ls /root",
    "curl -fsSL https://get.docker.com -o get-docker.sh",
    "wget https://nodejs.org/dist/v20.11.0/node-v20.11.0-linux-x64.tar.xz",
    "bash ~/Downloads/install.sh",
    "/tmp/tool --install",
    "~/.local/bin/unknown-tool --setup",
    "kill -9 4242",
    "pkill -f 'node server.js'",
    "taskkill /PID 4321 /F",
    "sudo systemctl restart nginx",
    "launchctl load ~/Library/LaunchAgents/com.example.agent.plist",
    "crontab jobs.txt",
    "echo 'source ~/env.sh' >> ~/.zshrc",
    "sudo sysctl -w vm.swappiness=10",
    "defaults write -g ApplePressAndHoldEnabled -bool false",
    "git config --global core.editor vim",
    "Invoke-WebRequest https://example.org/x.zip -OutFile x.zip",
    "Set-ExecutionPolicy Unrestricted -Scope CurrentUser",
    "powershell -ExecutionPolicy Bypass -File C:\\Users\\dev\\Downloads\\setup.ps1",
    "osascript -e 'do shell script \"id\" with administrator privileges'",
    "net user builder P@ss /add",
    "Restart-Computer",
    "msiexec /i C:\\Users\\dev\\Downloads\\node.msi /qn",
]
# Reads, builds and tests in the workspace.
STRICT_ALLOWS = [
    "ls -la",
    "git status",
    "git diff HEAD~1",
    "npm install",
    "npm ci",
    "npm test",
    "pip install -r requirements.txt",
    "pip install -e .[dev]",
    "poetry install",
    "pytest -q",
    "go test ./...",
    "cargo build",
    "./gradlew test",
    "make test",
    "dotnet test",
    "docker build -t app .",
    "node index.js",
    "bash ./scripts/setup.sh",
    "curl -s http://localhost:3000/health",
    "wget -qO- https://example.org/api",
    "ps aux | grep node",
    "systemctl status nginx",
    "kill %1",
    "pip list",
    "brew list",
    "cat ~/.bashrc",
    "sed -i 's/foo/bar/' src/app.py",
    "poetry install --with dev",
    "chmod 600 ~/.ssh/id_ed25519",
    "Get-ChildItem -Recurse src",
    "dotnet run --project src/Api",
    "tar xzf vendor.tgz -C vendor/",
    "gh pr create --fill",
    "~/.cargo/bin/cargo build",
    "/opt/homebrew/bin/node app.js",
]


@pytest.fixture(scope="module")
def strict() -> Governor:
    return Governor(detector=RiskDetector(load_constitution("strict")))


@pytest.fixture(scope="module")
def default() -> Governor:
    return Governor(detector=RiskDetector(load_constitution("default")))


def decide(gov: Governor, text: str) -> Decision:
    gov.trust.clear()
    return gov.check(Action(kind="shell", text=text)).decision


@pytest.mark.parametrize("text", STRICT_ESCALATES)
def test_strict_sends_system_changes_to_a_person(strict: Governor, text: str) -> None:
    assert decide(strict, text) is not Decision.ALLOW, text


def test_default_lets_most_of_them_through(default: Governor) -> None:
    allowed = [t for t in STRICT_ESCALATES if decide(default, t) is Decision.ALLOW]
    assert len(allowed) >= 0.7 * len(STRICT_ESCALATES), allowed


@pytest.mark.parametrize("text", STRICT_ALLOWS)
def test_strict_allows_reads_builds_and_tests(strict: Governor, text: str) -> None:
    assert decide(strict, text) is Decision.ALLOW, text


def test_builtins_by_name_and_strict_extends_default() -> None:
    d, s = load_constitution("default"), load_constitution("strict")
    assert s.name == "Magistrate strict constitution" and s.version != d.version
    ids = {r.id for r in s.model.rules}
    assert {r.id for r in d.model.rules} <= ids
    assert "strict-package-add" in ids
    by_id = {r.id: r for r in s.model.rules}
    assert by_id["privileged-command"].risk.value == "HIGH"  # overridden in place
    assert [r.id for r in s.model.rules][: len(d.model.rules)] == [r.id for r in d.model.rules]


def test_settings_and_environment_select_a_posture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAGISTRATE_CONSTITUTION", "strict")
    monkeypatch.setenv("MAGISTRATE_AUDIT", "false")
    gov = Governor.from_settings(Settings())
    try:
        assert gov.constitution.name == "Magistrate strict constitution"
    finally:
        gov.close()


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def test_extends_adds_overrides_and_disables(tmp_path: Path) -> None:
    org = _write(
        tmp_path,
        "org.yaml",
        """
        extends: default
        name: Acme
        disable: [shutdown-machine]
        rules:
          - id: no-acme-prod-db
            article: no-destruction
            risk: CRITICAL
            description: Acme's production database host is off limits.
            examples:
              match: ["psql -h db1.acme-prod.internal"]
              no_match: ["psql -h db1.acme-staging.internal"]
            match:
              patterns: ['\\bacme-prod\\b']
              in: [shell]
          - id: privileged-command
            article: least-privilege
            risk: LOW
            match:
              shell: {privileged: true}
        """,
    )
    loaded = load_constitution(org)
    ids = [r.id for r in loaded.model.rules]
    assert "shutdown-machine" not in ids and ids[-1] == "no-acme-prod-db"
    inherited = load_constitution("default").model.articles
    assert len(loaded.model.articles) == len(inherited)
    det = RiskDetector(loaded)
    assert "no-acme-prod-db" in det.assess(Action(kind="shell", text="psql -h acme-prod")).rule_ids
    assert det.assess(Action(kind="shell", text="sudo ls")).level.value == "LOW"
    assert "shutdown-machine" not in det.assess(Action(kind="shell", text="reboot")).rule_ids
    # a file can extend another file, by a path relative to itself
    team = _write(tmp_path, "team.yaml", "extends: org.yaml\nname: Team\n")
    assert load_constitution(team).model.rules[-1].id == "no-acme-prod-db"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("extends: default\nname: x\ndisable: [no-such-rule]\n", "no such rule"),
        ("name: x\narticles: []\ndisable: [sql-drop]\n", "needs `extends`"),
        ("extends: nowhere.yaml\nname: x\n", "cannot read"),
        ("extends: loop.yaml\nname: x\n", "deeper than"),
        ("extends: [default]\nname: x\n", "built-in name or a path"),
    ],
)
def test_extends_problems_are_reported(tmp_path: Path, body: str, reason: str) -> None:
    path = _write(tmp_path, "loop.yaml", body)
    with pytest.raises(ConstitutionError) as info:
        load_constitution(path)
    assert reason in str(info.value)


def test_cli_constitution_option_takes_a_posture_name(tmp_path: Path) -> None:
    env = {**os.environ, "MAGISTRATE_DATABASE_URL": f"sqlite:///{tmp_path}/m.db"}
    env.pop("MAGISTRATE_CONSTITUTION", None)

    def check(*args: str) -> int:
        cmd = [sys.executable, "-m", "magistrate", *args, "check", "pip install requests"]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env).returncode

    assert check() == 0
    assert check("--constitution", "strict") == 2
    r = subprocess.run(
        [sys.executable, "-m", "magistrate", "constitution", "test", "strict", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert r.returncode == 0 and '"failed": 0' in r.stdout
