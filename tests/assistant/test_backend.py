"""The configured backend is built from settings, with secrets from the environment."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.backend import build_backend, connector_context
from assistant.config import load_settings
from assistant.errors import ConfigError, UnknownBackendError
from connectors.local import LocalConnector
from tests.conftest import NOW


async def test_the_default_backend_is_the_local_store(tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=tmp_path, timezone="Asia/Shanghai")
    conn = build_backend(settings, now=lambda: NOW)
    try:
        assert isinstance(conn, LocalConnector)
        assert conn.store.path.parent == tmp_path
    finally:
        await conn.aclose()


def test_an_unknown_backend_is_a_user_error(tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=tmp_path)
    with pytest.raises(UnknownBackendError):
        build_backend(settings, "carrier-pigeon")


def test_the_context_hides_the_environment_from_its_repr(tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=tmp_path)
    context = connector_context(settings, env={"MATRIX_TOKEN": "s3cret-token"})
    assert context.env["MATRIX_TOKEN"] == "s3cret-token"
    assert "s3cret-token" not in repr(context)


async def test_a_tenant_table_and_zone_override_the_settings(tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=tmp_path / "unused", timezone="Asia/Shanghai")
    berlin = ZoneInfo("Europe/Berlin")
    conn = build_backend(
        settings,
        "local",
        config={"data_dir": str(tmp_path / "tenant")},
        zone=berlin,
        now=lambda: NOW,
    )
    try:
        assert isinstance(conn, LocalConnector)
        assert conn.store.path.parent == tmp_path / "tenant"
        assert conn.store.zone == berlin
    finally:
        await conn.aclose()


def test_a_bad_tenant_table_is_a_config_error(tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=tmp_path)
    with pytest.raises(ConfigError, match="unknown key"):
        build_backend(settings, "local", config={"dta_dir": "x"})
