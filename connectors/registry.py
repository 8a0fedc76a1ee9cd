"""Find and build connectors through the ``drivetalk.connectors`` entry points.

A backend is any installed distribution that declares, in its pyproject::

    [project.entry-points."drivetalk.connectors"]
    mybackend = "mypackage.connector:MyConnector"

``MyConnector`` has class attributes ``name`` and ``needs_network`` and a
classmethod ``from_config(config, context)``. Nothing is global: every build
gets its configuration table and a :class:`ConnectorContext` explicitly. Load
errors are reported as :class:`~assistant.errors.ConnectorLoadError`, never
swallowed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

import httpx

from assistant.errors import ConnectorLoadError, DriveTalkError, UnknownBackendError
from connectors.ports import Connector

GROUP = "drivetalk.connectors"


@dataclass(frozen=True, slots=True)
class ConnectorContext:
    """What every connector may use besides its own config table.

    ``env`` is where secrets come from (the config names the variable);
    ``http`` is the shared client for network connectors (None: build one).
    """

    data_dir: Path
    zone: ZoneInfo
    http: httpx.AsyncClient | None = None
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    now: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())


class ConnectorFactory(Protocol):
    """The shape an entry point must load to."""

    name: str
    needs_network: bool

    @classmethod
    def from_config(cls, config: Mapping[str, Any], context: ConnectorContext) -> Connector:
        """Build a connector from its config table."""
        ...


def available() -> dict[str, EntryPoint]:
    """Registered connector entry points by name (not yet imported)."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load(name: str) -> ConnectorFactory:
    """Import the factory registered under ``name``."""
    points = available()
    if name not in points:
        known = ", ".join(sorted(points)) or "none"
        raise UnknownBackendError(f"unknown backend {name!r} (installed: {known})")
    try:
        factory = points[name].load()
    except Exception as exc:  # any import-time failure of a plugin is a load error
        raise ConnectorLoadError(
            f"connector {name!r} failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    if not callable(getattr(factory, "from_config", None)):
        raise ConnectorLoadError(f"connector {name!r} has no from_config() classmethod")
    return cast(ConnectorFactory, factory)


def build(name: str, config: Mapping[str, Any], context: ConnectorContext) -> Connector:
    """Load and construct the connector ``name`` from its config table."""
    factory = load(name)
    try:
        return factory.from_config(config, context)
    except DriveTalkError:
        raise
    except Exception as exc:  # a plugin's own bug must still reach the user as one line
        # Only the type: a plugin's message could quote its config, secrets included.
        raise ConnectorLoadError(
            f"connector {name!r} could not be built: {type(exc).__name__} "
            "(run with --verbose for details)"
        ) from exc
