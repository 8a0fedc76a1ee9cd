"""Build the configured connector from settings: the one place that does it.

Used by ``drivetalk chat``, ``serve`` (per tenant), ``replay`` and
``connectors check`` so that every entry point reads the same
``[connectors.NAME]`` table and takes secrets from the same environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from assistant.config import Settings
from connectors import registry
from connectors.ports import Connector


def connector_context(
    settings: Settings,
    *,
    zone: ZoneInfo | None = None,
    now: Callable[[], datetime] | None = None,
    http: httpx.AsyncClient | None = None,
    env: Mapping[str, str] | None = None,
    data_dir: Path | None = None,
) -> registry.ConnectorContext:
    """The context a connector is built with, from settings and the process environment.

    ``zone`` (default: the configured one) is where a ``--tz`` option lands.
    """
    zone = zone or settings.zone
    return registry.ConnectorContext(
        data_dir=data_dir or settings.data_dir,
        zone=zone,
        http=http,
        env=dict(os.environ if env is None else env),
        now=now or (lambda: datetime.now(zone)),
    )


def build_backend(
    settings: Settings,
    name: str | None = None,
    *,
    config: Mapping[str, Any] | None = None,
    zone: ZoneInfo | None = None,
    now: Callable[[], datetime] | None = None,
    http: httpx.AsyncClient | None = None,
    env: Mapping[str, str] | None = None,
    data_dir: Path | None = None,
) -> Connector:
    """Build connector ``name`` (default: ``settings.backend``).

    Its table is ``config`` when given (a tenant's own), else ``[connectors.NAME]``.
    """
    backend = name or settings.backend
    table = settings.connectors.get(backend, {}) if config is None else config
    context = connector_context(settings, zone=zone, now=now, http=http, env=env, data_dir=data_dir)
    return registry.build(backend, table, context)
