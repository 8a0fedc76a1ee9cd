"""Server settings and per-tenant backend choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.errors import ConfigError
from assistant.server.tenants import backend_for


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def test_server_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIVETALK_SERVER__PORT", "9001")
    monkeypatch.setenv("DRIVETALK_SERVER__LIMITS__SESSIONS_PER_KEY", "7")
    monkeypatch.setenv("DRIVETALK_SERVER__DATABASE_URL", "postgresql://u:secret@db/drivetalk")
    settings = load_settings()
    assert settings.server.port == 9001
    assert settings.server.limits.sessions_per_key == 7
    assert "secret" not in repr(settings.server)


def test_a_bad_limit_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIVETALK_SERVER__LIMITS__SESSIONS_PER_KEY", "0")
    with pytest.raises(ConfigError, match="sessions_per_key"):
        load_settings()


def test_a_tenant_uses_the_server_backend_but_never_a_shared_local_dir(tmp_path: Path) -> None:
    settings = Settings(connectors={"local": {"data_dir": "/shared", "poll_interval": 2}})
    choice = backend_for(settings, tmp_path)
    assert choice.name == "local"
    assert dict(choice.config) == {"poll_interval": 2}


def test_tenant_toml_chooses_the_tenants_own_backend(tmp_path: Path) -> None:
    (tmp_path / "tenant.toml").write_text(
        'backend = "webhook"\n[connectors.webhook]\nurl = "https://acme.example/hook"\n'
    )
    choice = backend_for(Settings(), tmp_path)
    assert (choice.name, dict(choice.config)) == ("webhook", {"url": "https://acme.example/hook"})


def test_unknown_keys_in_tenant_toml_are_refused(tmp_path: Path) -> None:
    (tmp_path / "tenant.toml").write_text('backend = "local"\nbakcend = "x"\n')
    with pytest.raises(ConfigError, match="bakcend"):
        backend_for(Settings(), tmp_path)


def test_an_unreachable_database_url_is_one_clear_error_naming_the_host(tmp_path: Path) -> None:
    from assistant.config import ServerSettings
    from assistant.errors import StorageError
    from assistant.server.app import create_app
    from tests.servers.net import free_port

    port = free_port()  # nothing listens there
    url = f"postgresql://fleet:hunter2-secret@127.0.0.1:{port}/drivetalk"
    settings = Settings(data_dir=tmp_path, server=ServerSettings(database_url=url))
    with pytest.raises(StorageError, match=f"127.0.0.1:{port}/drivetalk") as caught:
        create_app(settings)
    assert "hunter2-secret" not in str(caught.value)
    assert "\n" not in str(caught.value)
