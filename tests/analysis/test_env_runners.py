"""Environment runners: the command a runner runs is judged as if typed alone. Before,
`poetry run rm -rf /` and twenty such forms were LOW allow; each case runs through the real
detector."""

from __future__ import annotations

import pytest

from magistrate import Action, RiskDetector
from magistrate.analysis.env_runners import runner_command
from magistrate.levels import Risk


@pytest.fixture(scope="module")
def detector() -> RiskDetector:
    return RiskDetector()


RUN_FORMS = [
    "poetry run {}",
    "uv run {}",
    "bundle exec {}",
    "pipenv run {}",
    "npm exec -- {}",
    "pnpm exec {}",
    "yarn exec {}",
    "conda run -n base {}",
    "pdm run {}",
    "hatch run {}",
    "mise exec node@20 -- {}",
    "direnv exec . {}",
    "op run --env-file .env -- {}",
    "doppler run -- {}",
    "aws-vault exec prod -- {}",
    "nix-shell --run '{}'",
    "dotenv run {}",
    "rye run {}",
    "pixi run {}",
    "cross-env NODE_ENV=production {}",
]


@pytest.mark.parametrize("form", RUN_FORMS)
def test_the_command_a_runner_runs_is_judged(detector: RiskDetector, form: str) -> None:
    harmful = detector.assess(Action(kind="shell", text=form.format("rm -rf /")))
    assert "delete-root-or-home" in harmful.rule_ids, form
    everyday = detector.assess(Action(kind="shell", text=form.format("pytest -q tests/")))
    assert everyday.level <= Risk.MEDIUM, (form, everyday.rule_ids)


@pytest.mark.parametrize(
    "text", ["npm run build", "poetry install", "bundle install", "uv sync", "conda env list"]
)
def test_the_runners_own_work_runs_no_command(detector: RiskDetector, text: str) -> None:
    assert runner_command(text.split()[0], text.split(), 0) is None
    assert detector.assess(Action(kind="shell", text=text)).level <= Risk.MEDIUM


def test_where_the_command_starts() -> None:
    argv = "aws-vault exec --duration 1h prod -- terraform apply".split()
    assert argv[runner_command("aws-vault", argv, 0)] == "terraform"  # type: ignore[index]
    argv = "direnv exec . make deploy".split()
    assert argv[runner_command("direnv", argv, 0)] == "make"  # type: ignore[index]
    assert runner_command("nix-shell", ["nix-shell", "--run", "make test"], 0) == "make test"
