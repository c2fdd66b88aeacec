"""The API's routes, one router per concern. `include(app, settings)` adds them all."""

from __future__ import annotations

from fastapi import FastAPI

from magistrate.config import Settings
from magistrate.server.routes import approvals, audit, check, docs, operations, principals, status


def include(app: FastAPI, s: Settings) -> None:
    """Add every router to the app (the dashboard's static files are mounted after these)."""
    app.include_router(check.router(s))
    app.include_router(approvals.router(s))
    app.include_router(principals.router)
    app.include_router(audit.router)
    app.include_router(status.router)
    app.include_router(operations.router)
    docs.add(app)


__all__ = ["include"]
