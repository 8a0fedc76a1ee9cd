"""Connectors are found through entry points and built from explicit config."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from assistant.errors import ConnectorLoadError, UnknownBackendError
from connectors import registry
from connectors.local import LocalConnector
from tests.conftest import NOW, ZONE


def _context(tmp_path: Path) -> registry.ConnectorContext:
    return registry.ConnectorContext(data_dir=tmp_path, zone=ZONE, now=lambda: NOW)


def test_local_is_registered() -> None:
    assert "local" in registry.available()


async def test_build_local(tmp_path: Path) -> None:
    conn = registry.build("local", {}, _context(tmp_path))
    assert isinstance(conn, LocalConnector)
    await conn.aclose()


def test_unknown_backend_names_the_installed_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownBackendError, match=r"unknown backend 'nope'.*local"):
        registry.build("nope", {}, _context(tmp_path))


def test_a_broken_plugin_is_reported_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = EntryPoint("broken", "no_such_module_xyz:Thing", registry.GROUP)
    monkeypatch.setattr(registry, "available", lambda: {"broken": broken})
    with pytest.raises(ConnectorLoadError, match=r"broken.*failed to load.*ModuleNotFoundError"):
        registry.load("broken")


def test_a_plugin_bug_while_building_does_not_leak_its_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Leaky:
        name = "leaky"
        needs_network = True

        @classmethod
        def from_config(cls, config: object, context: object) -> None:
            raise RuntimeError("token=supersecret")

    monkeypatch.setattr(registry, "load", lambda name: Leaky)
    with pytest.raises(ConnectorLoadError) as info:
        registry.build("leaky", {}, _context(tmp_path))
    assert "supersecret" not in str(info.value)
    assert "RuntimeError" in str(info.value)
