"""Request bodies are parsed by the models the OpenAPI document publishes (issue 15 item 1):
what the spec refuses the server refuses (422 naming the field, in the library's words), what
it allows the server accepts, and the per-server batch limit is the same number in both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from magistrate import Governor, RiskDetector
from magistrate.config import Settings
from magistrate.db import open_database
from magistrate.keys import Keys
from magistrate.server import create_app
from magistrate.server.bodies import parse
from magistrate.server.models import CheckIn
from tests.servers import ThreadServer, bearer


@pytest.fixture(scope="module")
def served(detector: RiskDetector, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root: Path = tmp_path_factory.mktemp("bodies")
    db = open_database(f"sqlite:///{root}/m.db")
    _, token = Keys(db).create("agent", "agent:bodies")
    settings = Settings(
        database_url=f"sqlite:///{root}/m.db", spool_dir=root / "spool", max_batch=3
    )
    governor = Governor(detector=detector)
    with (
        ThreadServer(create_app(settings, governor=governor)) as server,
        httpx2.Client(base_url=server.url, headers=bearer(token), timeout=30) as client,
    ):
        yield client
    governor.close()
    db.close()


def test_the_spec_publishes_the_models_that_parse(served: httpx2.Client) -> None:
    spec = served.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    published = CheckIn.model_json_schema(ref_template="#/components/schemas/{model}")
    published.pop("$defs", None)
    assert schemas["CheckIn"] == published
    assert schemas["BatchIn"]["properties"]["actions"]["maxItems"] == 3  # this server's limit
    body = spec["paths"]["/v1/check"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/CheckIn"}


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"text": "ls", "id": 1.5}, "id", "must be a string or an integer; got float"),
        ({"text": "ls", "id": True}, "id", "must be a string or an integer; got bool"),
        ({"text": 5}, "text", "must be a string; got int"),
        ({"text": "ls", "args": "x"}, "args", "must be a JSON object; got str"),
        ({"text": "ls", "context": [1]}, "context", "must be a JSON object; got list"),
        ({"text": "ls", "tool": "t" * 300}, "tool", "the limit is 256"),
        ({"text": "ls", "min_risk": 3}, "min_risk", "must be one of LOW, MEDIUM, HIGH, CRITICAL"),
        ("ls", "action", "must be a JSON object; got str"),
    ],
)
def test_what_the_spec_refuses_is_422_naming_the_field(
    served: httpx2.Client, body: Any, field: str, fragment: str
) -> None:
    r = served.post("/v1/check", content=json.dumps(body))
    assert r.status_code == 422, r.text[:300]
    assert r.json()["field"] == field
    assert r.json()["detail"].startswith(f"{field}: ") and fragment in r.json()["detail"]


def test_what_the_library_accepts_the_server_accepts(served: httpx2.Client) -> None:
    for body in (
        {"text": "ls", "kind": None, "min_risk": "high"},  # null is the default; any case
        {"text": "ls", "id": 7, "labels": {"team": "x"}},  # fields of its own are kept aside
        {"kind": "bash", "text": "ls -la"},  # an alias of shell
    ):
        r = served.post("/v1/check", content=json.dumps(body))
        assert r.status_code == 200, (body, r.text[:300])
    assert (
        served.post("/v1/check", json={"text": "ls", "min_risk": "high"}).json()["risk"] == "HIGH"
    )


def test_the_batch_limit_is_the_servers(served: httpx2.Client) -> None:
    ok = served.post("/v1/check/batch", json={"actions": [{"text": "ls"}] * 3})
    assert ok.status_code == 200 and len(ok.json()["verdicts"]) == 3
    over = served.post("/v1/check/batch", json={"actions": [{"text": "ls"}] * 4})
    assert over.status_code == 422
    assert over.json() == {"detail": "actions: has 4 actions; the limit is 3", "field": "actions"}
    bad = served.post("/v1/check/batch", json={"actions": [{"text": "ls"}, {"text": 5}]})
    assert bad.json()["field"] == "actions[1].text"


def test_parsing_a_megabyte_body_is_quick() -> None:
    """Validation runs on the event loop for /v1/check: a 1 MB body must not hold it long."""
    import time

    body = {"kind": "tool", "tool": "t", "args": {f"k{i}": [i, "v" * 10] for i in range(40_000)}}
    started = time.thread_time()  # CPU time of this thread: load elsewhere does not count
    for _ in range(5):
        parse(CheckIn, body, "action")
    assert (time.thread_time() - started) / 5 < 0.05
