"""Credential formats (analysis/secrets.py): each named format matches its own shape, not a
lookalike; written into a file, it is a credential in content."""

from __future__ import annotations

import pytest

from magistrate import Action, RiskDetector
from magistrate.analysis.secrets import CREDENTIAL_FORMATS, find_secrets, mask_secrets

PYPI = "pypi-AgEIcHlwaS5vcmcCJGQ0ZDk1ZTA2LWU0ODktNGY1ZC1hMjEzLTA4ZTA5ZDU0ZjQ4NgACKlsz"
EXAMPLES = {
    "aws-access-key-id": ("AKIAIOSFODNN7EXAMPLE", "AKIA-not-a-key"),
    "github-token": ("ghp_" + "a1B2" * 9, "ghp_short"),
    "gitlab-token": ("glpat-" + "x1Y2z3" * 4, "glpat-short"),
    "pypi-token": (PYPI, "pypi-package-name"),
    "npm-token": ("npm_" + "a1B2c3" * 6, "npm_install_log"),
    "huggingface-token": ("hf_" + "abCD" * 9, "hf_model"),
    "sendgrid-key": ("SG." + "a" * 22 + "." + "b" * 43, "SG.config.value"),
    "digitalocean-token": ("dop_v1_" + "0123456789abcdef" * 4, "dop_v1_short"),
}


@pytest.mark.parametrize(("name", "pair"), sorted(EXAMPLES.items()))
def test_each_format_matches_its_shape_only(name: str, pair: tuple[str, str]) -> None:
    real, lookalike = pair
    assert name in CREDENTIAL_FORMATS
    assert name in {n for _, _, n in find_secrets(f"token: {real}\n")}
    assert name not in {n for _, _, n in find_secrets(f"see {lookalike} here")}
    assert real not in mask_secrets(f"x {real} y")


def test_a_registry_token_written_to_a_file_is_a_credential(detector: RiskDetector) -> None:
    content = f"[pypi]\nusername = __token__\npassword = {PYPI}\n"
    action = Action(kind="file", text="write .pypirc", args={"path": ".pypirc", "content": content})
    assessment = detector.assess(action)
    assert assessment.secrets
    assert assessment.facts.get("credential-content") == "pypi-token"
