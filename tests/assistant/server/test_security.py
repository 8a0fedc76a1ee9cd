"""Who may see what, on a real uvicorn: the operator token, tenants' figures, webhook secrets.

Specification: ``/metrics`` answers the operator token only (vehicle keys
get 401); ``/readyz`` shows a vehicle its own readiness and the operator the
process's details; the token is a separate, long secret; tenants never share
a webhook secret (refused at start); key verification never runs on the
event loop, for REST and WebSocket alike.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from assistant.config import Settings, TTSSettings, load_settings
from assistant.errors import ConfigError
from assistant.server.app import create_app
from assistant.server.keys import KeyStore, Principal
from tests.assistant.server.live import (
    OPERATOR_ENV,
    OPERATOR_TOKEN,
    Live,
    make_key,
    serve,
    server_settings,
)

OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    settings = server_settings(tmp_path_factory.mktemp("sec"), tts=TTSSettings(enabled=False))
    with serve(create_app(settings, env=OPERATOR_ENV)) as running:
        yield running


@pytest.fixture(scope="module")
def key(live: Live) -> str:
    return make_key(live.app.state.server.settings, "acme", "car-1")


def test_metrics_answer_the_operator_token_and_no_vehicle_key(live: Live, key: str) -> None:
    refused = httpx.get(f"{live.url}/metrics", headers=bearer(key), timeout=30)
    assert refused.status_code == 401
    assert "operator token" in refused.json()["error"]["message"]
    allowed = httpx.get(f"{live.url}/metrics", headers=OPERATOR, timeout=30)
    assert allowed.status_code == 200
    assert "drivetalk_sessions" in allowed.text


def test_readyz_shows_fleet_figures_to_the_operator_only(live: Live, key: str) -> None:
    created = httpx.post(f"{live.url}/v1/sessions", headers=bearer(key), timeout=60)
    assert created.status_code == 201
    vehicle = httpx.get(f"{live.url}/readyz", headers=bearer(key), timeout=120).json()
    assert vehicle["sessions"] is None
    assert vehicle["model_error"] is None
    operator = httpx.get(f"{live.url}/readyz", headers=OPERATOR, timeout=120).json()
    assert operator["sessions"] >= 1


def test_without_an_operator_token_metrics_are_refused_to_everyone(tmp_path: Path) -> None:
    settings = server_settings(tmp_path, tts=TTSSettings(enabled=False))
    key = make_key(settings, "acme", "car-1")
    with serve(create_app(settings, env={})) as running:
        for headers in (bearer(key), OPERATOR):
            assert httpx.get(f"{running.url}/metrics", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("token", "message"),
    [("short-token", "too short"), ("dtk_0123456789ab_" + "x" * 43, "looks like a vehicle key")],
)
def test_a_weak_operator_token_is_refused_at_start(
    tmp_path: Path, token: str, message: str
) -> None:
    settings = server_settings(tmp_path, tts=TTSSettings(enabled=False))
    with pytest.raises(ConfigError, match=message) as refused:
        create_app(settings, env={"DRIVETALK_OPERATOR_TOKEN": token})
    assert token not in str(refused.value)


def test_the_operator_token_is_in_no_repr(live: Live) -> None:
    assert OPERATOR_TOKEN not in repr(live.app.state.server)


# -- webhook secrets per tenant ---------------------------------------------------


def webhook_tenant(data_dir: Path, tenant: str, secret_env: str) -> None:
    folder = data_dir / "tenants" / tenant
    folder.mkdir(parents=True)
    (folder / "tenant.toml").write_text(
        'backend = "webhook"\n[connectors.webhook]\n'
        f'url = "https://{tenant}.example/drivetalk"\nsecret_env = "{secret_env}"\n'
    )


def test_tenants_sharing_a_webhook_secret_are_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_SECRET", "one-secret-for-two-tenants-0123")
    monkeypatch.setenv("GLOBEX_SECRET", "one-secret-for-two-tenants-0123")
    webhook_tenant(tmp_path, "acme", "ACME_SECRET")
    webhook_tenant(tmp_path, "globex", "GLOBEX_SECRET")
    settings = server_settings(tmp_path, tts=TTSSettings(enabled=False))
    with pytest.raises(ConfigError, match="'acme' and 'globex' share one webhook secret") as err:
        create_app(settings, env={})
    assert "one-secret-for-two-tenants" not in str(err.value)
    monkeypatch.setenv("GLOBEX_SECRET", "globex-has-its-own-secret-456789")
    create_app(settings, env={})  # distinct secrets: fine


def test_a_tenant_added_later_with_a_taken_webhook_secret_is_not_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_SECRET", "acme-webhook-secret-0123456789")
    monkeypatch.setenv("COPYCAT_SECRET", "acme-webhook-secret-0123456789")
    webhook_tenant(tmp_path, "acme", "ACME_SECRET")
    settings = server_settings(tmp_path, tts=TTSSettings(enabled=False))
    copycat = make_key(settings, "copycat", "car-1")
    with serve(create_app(settings, env={})) as running:
        webhook_tenant(tmp_path, "copycat", "COPYCAT_SECRET")  # after the start-up check
        refused = httpx.post(f"{running.url}/v1/sessions", headers=bearer(copycat), timeout=60)
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "backend_unavailable"


def test_a_server_wide_webhook_backend_is_refused(tmp_path: Path) -> None:
    settings: Settings = load_settings(None, data_dir=tmp_path, backend="webhook")
    with pytest.raises(ConfigError, match="per tenant"):
        create_app(settings, env={})


# -- verification off the event loop -----------------------------------------------


def test_key_verification_never_runs_on_the_event_loop(live: Live, key: str) -> None:
    store: KeyStore = live.app.state.server.keys
    on_loop: list[bool] = []
    real = store.verify

    def spy(presented: str) -> Principal | None:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real(presented)

    wrong = f"dtk_{key.split('_')[1]}_{'Q' * 43}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "verify", spy)
        httpx.post(f"{live.url}/v1/sessions", headers=bearer(wrong), timeout=60)
        session = "no-such-session"
        with connect(f"{live.ws_url}/v1/sessions/{session}/stream") as ws:
            start: dict[str, Any] = {"type": "start", "format": {"rate": 16000}, "key": wrong}
            ws.send(json.dumps(start))
            assert json.loads(ws.recv(timeout=60))["code"] == "unauthorized"
    assert on_loop == [False, False]
