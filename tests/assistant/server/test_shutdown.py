"""Shutdown and restart: sessions are drained, confirmed messages are never lost or doubled.

Each test runs its own uvicorn (a shutdown is the point of the test).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from assistant.config import Settings, TTSSettings
from assistant.models import OutgoingMessage
from assistant.server.app import create_app
from connectors.local.store import DB_NAME
from connectors.outbox import Outbox
from tests.assistant.server.live import make_key, serve, server_settings

pytestmark = [pytest.mark.vosk, pytest.mark.slow]


START = {"type": "start", "format": {"rate": 16000, "channels": 1, "sample": "s16le"}}


def drain(ws: ClientConnection) -> None:
    """Read until the server closes the connection (ConnectionClosed)."""
    for _ in range(100):
        ws.recv(timeout=30)


def settings_for(data_dir: Path) -> Settings:
    return server_settings(data_dir, tts=TTSSettings(enabled=False))


def bodies(data_dir: Path, tenant: str) -> list[str]:
    with sqlite3.connect(data_dir / "tenants" / tenant / DB_NAME) as db:
        return [row[0].lower() for row in db.execute("SELECT body FROM messages")]


def outbox_states(data_dir: Path, tenant: str) -> list[tuple[str, str]]:
    with sqlite3.connect(data_dir / "tenants" / tenant / "outbox.sqlite3") as db:
        return list(db.execute("SELECT lower(body), state FROM outbox"))


def test_shutdown_drains_open_sessions_and_streams(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    key = make_key(settings, "acme", "car-1")
    headers = {"Authorization": f"Bearer {key}"}
    app = create_app(settings)
    with ExitStack() as outlives_server:
        with serve(app) as live:
            http = outlives_server.enter_context(
                httpx.Client(base_url=live.url, headers=headers, timeout=60)
            )
            sessions = [http.post("/v1/sessions").json()["id"] for _ in range(3)]
            turn = f"/v1/sessions/{sessions[0]}/turns/text"
            http.post(turn, json={"text": "send a message to Zhang San saying draining works"})
            assert http.post(turn, json={"text": "yes"}).json()["replies"] == ["Sent to Zhang San."]
            http.post(f"/v1/sessions/{sessions[1]}/turns/text", json={"text": "read my messages"})
            ws = outlives_server.enter_context(
                connect(
                    f"{live.ws_url}/v1/sessions/{sessions[2]}/stream", additional_headers=headers
                )
            )
            ws.send(json.dumps(START))
            assert json.loads(ws.recv(timeout=60))["type"] == "ready"
            ws.send(b"\x00\x00" * 1600)  # an utterance under way
            # Leaving the block shuts the server down with all three sessions open.
        state = app.state.server
        assert len(state.sessions) == 0
        assert state.sessions.closing
        with pytest.raises(ConnectionClosed):
            drain(ws)
    assert not [t for t in threading.enumerate() if t.name.startswith("drivetalk-asr")]
    assert bodies(tmp_path, "acme").count("draining works") == 1
    assert ("draining works", "delivered") in outbox_states(tmp_path, "acme")


def test_a_message_confirmed_before_a_crash_is_delivered_once_after_restart(
    tmp_path: Path,
) -> None:
    # The process died between the driver's "yes" (outbox commit) and delivery.
    tenant_dir = tmp_path / "tenants" / "acme"
    with Outbox.open(tenant_dir / "outbox.sqlite3") as outbox:
        outbox.enqueue(
            OutgoingMessage(
                idempotency_key="confirmed-before-crash",
                recipient_id="u-zhang-san",
                recipient_name="Zhang San",
                body="survived the crash",
            )
        )
    settings = settings_for(tmp_path)
    key = make_key(settings, "acme", "car-1")
    for _ in range(2):  # two restarts: delivered once, never again
        with serve(create_app(settings)) as live:
            response = httpx.post(
                f"{live.url}/v1/sessions", headers={"Authorization": f"Bearer {key}"}, timeout=60
            )
            assert response.status_code == 201
    assert bodies(tmp_path, "acme").count("survived the crash") == 1
    assert outbox_states(tmp_path, "acme") == [("survived the crash", "delivered")]
