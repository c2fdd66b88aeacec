"""The Kubernetes manifests stay consistent with the server: they parse, the ConfigMap holds a
valid constitution (the built-in one), probes point at real endpoints, the arguments are ones
`magistrate serve` accepts, and every MAGISTRATE_* variable they set is a real setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from magistrate.config import Settings
from magistrate.constitution import default_constitution, parse_constitution

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def manifests() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(DEPLOY.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and "kind" in doc:
                out[doc["kind"]] = doc
    return out


def test_the_manifests_are_all_there_and_listed() -> None:
    found = manifests()
    assert {
        "Deployment",
        "Service",
        "ConfigMap",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Secret",
        "Kustomization",
    } <= set(found)
    listed = set(found["Kustomization"]["resources"])
    assert {"configmap.yaml", "deployment.yaml", "service.yaml", "hpa.yaml"} <= listed
    assert "secret.example.yaml" not in listed  # never overwrite the real Secret
    assert found["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == "magistrate"


def test_the_configmap_holds_the_built_in_constitution() -> None:
    text = manifests()["ConfigMap"]["data"]["constitution.yaml"]
    loaded = parse_constitution(text, "configmap.yaml")
    assert loaded.version == default_constitution().version  # re-render after editing


def test_the_deployment_matches_the_server() -> None:
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    assert pod["enableServiceLinks"] is False  # else MAGISTRATE_PORT=tcp://… breaks settings
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["args"][0] == "serve"
    names = {e["name"] for e in container["env"]}
    assert {"MAGISTRATE_DATABASE_URL", "MAGISTRATE_REDIS_URL", "MAGISTRATE_CONSTITUTION"} <= names
    settings = {f"MAGISTRATE_{name.upper()}" for name in Settings.model_fields}
    assert names - {"MAGISTRATE_CACHE_DIR"} <= settings, names - settings
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    constitution = next(
        e["value"] for e in container["env"] if e["name"] == "MAGISTRATE_CONSTITUTION"
    )
    assert str(Path(constitution).parent) in mounts
    usage = subprocess.run(
        [sys.executable, "-m", "magistrate", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    for flag in (a for a in container["args"] if a.startswith("--")):
        assert flag in usage, flag
