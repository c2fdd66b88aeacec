"""Schemathesis against the server's own /openapi.json, over real HTTP, with an admin key:
generated requests (valid and invalid) never get a 5xx, and answers match the documented
status codes and schemas. Bounded: a few dozen examples per operation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from magistrate import Governor, RiskDetector
from magistrate.approvals import Approvals
from magistrate.audit import AuditLog
from magistrate.config import Settings
from magistrate.db import open_database
from magistrate.keys import Keys
from magistrate.server import create_app
from magistrate.telemetry import Telemetry
from tests.servers import ThreadServer, bearer

KEY: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(detector: RiskDetector, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root: Path = tmp_path_factory.mktemp("openapi")
    db = open_database(f"sqlite:///{root}/m.db")
    audit = AuditLog(db, spool_dir=root / "spool")
    governor = Governor(
        detector=detector, audit=audit, approvals=Approvals(db, audit=audit), telemetry=Telemetry()
    )
    _, KEY["admin"] = Keys(db).create("admin", "root")
    config = Settings(
        database_url=f"sqlite:///{root}/m.db", spool_dir=root / "spool", max_wait_s=1.0
    )
    with ThreadServer(create_app(config, governor=governor)) as server:
        yield schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    governor.close()


def operations() -> list[tuple[GenerationMode, str, str]]:
    """(mode, method, path) for every documented operation but the endless event stream:
    valid requests for all, invalid ones for those that take input."""
    spec = create_app(Settings()).openapi()
    out = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if path == "/v1/events":
                continue
            out.append((GenerationMode.POSITIVE, method.upper(), path))
            if operation.get("parameters") or operation.get("requestBody"):
                out.append((GenerationMode.NEGATIVE, method.upper(), path))
    return out


@pytest.mark.parametrize(("mode", "method", "path"), operations())
def test_no_server_errors_and_documented_answers(
    api_schema: Any, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: schemathesis.Case) -> None:
        checks = [not_a_server_error]
        if mode is GenerationMode.POSITIVE:
            checks += [status_code_conformance, response_schema_conformance]
        case.call_and_validate(headers=bearer(KEY["admin"]), timeout=30, checks=checks)

    run()
