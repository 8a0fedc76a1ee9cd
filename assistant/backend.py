"""Build the configured connector from settings: the one place that does it.

Used by ``drivetalk chat``, ``serve``, ``replay`` and ``connectors check`` so
that every entry point reads the same ``[connectors.NAME]`` table, takes
secrets from the same environment and shares one HTTP client policy.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

import httpx

from assistant.config import Settings
from connectors import registry
from connectors.ports import Connector

#: Every network call has a timeout; TLS verification is never turned off.
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def connector_context(
    settings: Settings,
    *,
    now: Callable[[], datetime] | None = None,
    http: httpx.AsyncClient | None = None,
    env: Mapping[str, str] | None = None,
    data_dir: Path | None = None,
) -> registry.ConnectorContext:
    """The context a connector is built with, from settings and the process environment."""
    zone = settings.zone
    return registry.ConnectorContext(
        data_dir=data_dir or settings.data_dir,
        zone=zone,
        http=http,
        env=dict(os.environ if env is None else env),
        now=now or (lambda: datetime.now(zone)),
    )


def new_http_client() -> httpx.AsyncClient:
    """The shared client for network connectors: timeouts on, TLS verified."""
    return httpx.AsyncClient(timeout=HTTP_TIMEOUT, verify=True, follow_redirects=False)


def build_backend(
    settings: Settings,
    name: str | None = None,
    *,
    now: Callable[[], datetime] | None = None,
    http: httpx.AsyncClient | None = None,
    env: Mapping[str, str] | None = None,
    data_dir: Path | None = None,
) -> Connector:
    """Build connector ``name`` (default: ``settings.backend``) from its config table."""
    backend = name or settings.backend
    context = connector_context(settings, now=now, http=http, env=env, data_dir=data_dir)
    return registry.build(backend, settings.connectors.get(backend, {}), context)
