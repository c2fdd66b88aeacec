"""`/docs`: interactive API documentation, Swagger UI served from the package (no CDN)."""

from __future__ import annotations

import contextlib
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static"


def swagger_assets() -> Path | None:
    """The folder holding swagger-ui-bundle.js and swagger-ui.css (the fastapi-offline
    package ships them), or None when it is not installed."""
    with contextlib.suppress(ModuleNotFoundError):
        folder = Path(str(resources.files("fastapi_offline") / "static"))
        if (folder / "swagger-ui-bundle.js").is_file():
            return folder
    return None


def add(app: FastAPI) -> None:
    """The docs page, and its assets when fastapi-offline is installed (mounted on the app
    itself: a router's mounts are not carried by include_router)."""
    r = APIRouter()
    assets = swagger_assets()
    if assets is not None:
        app.mount("/docs/assets", StaticFiles(directory=assets), name="docs-assets")

    @r.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        """Interactive API documentation (Swagger UI from the package, the spec from here)."""
        if assets is None:
            raise HTTPException(
                404, "API docs need the fastapi-offline package; the spec is at /openapi.json"
            )
        return HTMLResponse((STATIC / "docs.html").read_text(encoding="utf-8"))

    app.include_router(r)
