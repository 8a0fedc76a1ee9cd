"""A tenant on the webhook backend: signed pushes reach that tenant's driver, no one else's."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from assistant.config import TTSSettings
from assistant.server.app import create_app
from connectors.webhook.signing import signed_headers
from tests.assistant.server.live import make_key, serve, server_settings

pytestmark = [pytest.mark.vosk, pytest.mark.slow]

SECRET = "acme-inbound-secret-0123456789"


def pushed(event_id: str, body: str) -> bytes:
    return json.dumps(
        {
            "type": "message.incoming",
            "version": 1,
            "id": event_id,
            "message": {
                "id": f"m-{event_id}",
                "conversation_id": "c-wang",
                "conversation_name": "Wang Fang",
                "sender_id": "u-wang",
                "sender_name": "Wang Fang",
                "body": body,
                "sent_at": "2026-11-23T08:05:00+08:00",
            },
        }
    ).encode()


def test_a_signed_push_is_announced_to_the_tenants_driver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_WEBHOOK_SECRET", SECRET)
    tenant_dir = tmp_path / "tenants" / "acme"
    tenant_dir.mkdir(parents=True)
    (tenant_dir / "tenant.toml").write_text(
        'backend = "webhook"\n[connectors.webhook]\n'
        'url = "https://acme.example/drivetalk"\nsecret_env = "ACME_WEBHOOK_SECRET"\n'
    )
    settings = server_settings(tmp_path, tts=TTSSettings(enabled=False))
    key = make_key(settings, "acme", "car-1")
    with serve(create_app(settings)) as live:
        inbound = f"{live.url}/v1/webhook/acme/inbound"
        body = pushed("e1", "The client is waiting in the lobby")
        now = int(time.time())
        assert httpx.post(inbound, content=body, timeout=30).status_code == 401  # unsigned
        forged = signed_headers("not-the-secret-0123456789", now, body)
        assert httpx.post(inbound, content=body, headers=forged, timeout=30).status_code == 401
        other = f"{live.url}/v1/webhook/globex/inbound"
        headers = signed_headers(SECRET, now, body)
        unknown = httpx.post(other, content=body, headers=headers, timeout=30)
        known_forged = httpx.post(inbound, content=body, headers=forged, timeout=30)
        assert unknown.status_code == 401  # as for a known tenant and a bad signature
        assert unknown.json() == known_forged.json()
        accepted = httpx.post(inbound, content=body, headers=headers, timeout=30)
        assert accepted.status_code == 202, accepted.text
        replayed = httpx.post(inbound, content=body, headers=headers, timeout=30)
        assert replayed.status_code == 409

        auth = {"Authorization": f"Bearer {key}"}
        session = httpx.post(f"{live.url}/v1/sessions", headers=auth, timeout=60).json()["id"]
        with connect(f"{live.ws_url}/v1/sessions/{session}/stream", additional_headers=auth) as ws:
            start = {"type": "start", "format": {"rate": 16000, "channels": 1, "sample": "s16le"}}
            ws.send(json.dumps(start))
            events = [json.loads(ws.recv(timeout=60)) for _ in range(2)]
    assert events[0]["type"] == "ready"
    assert events[1]["type"] == "announcement"
    assert "Wang Fang" in events[1]["text"]
