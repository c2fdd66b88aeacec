"""The governance server: HTTP API, API keys, approvals dashboard (`magistrate serve`)."""

from __future__ import annotations

from magistrate.server.app import create_app

__all__ = ["create_app"]
