"""An incoming message is announced on the car's open stream, whichever replica heard it first.

Specification: the car's session has a copy on replica "one", which served
its latest REST turn, and its WebSocket stream on replica "two". A message
pushed to "one" is heard by both copies; "one" hears it first. While a
stream is open on any replica, the copy that served the latest turn stays
silent: the announcement is the stream's, on "two", where the car listens,
and "one" has nothing to hand out. Once the stream is closed, the copy that
served the latest turn announces again. Two real servers on one PostgreSQL
database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from connectors.webhook.signing import signed_headers
from tests.assistant.server.live import Live
from tests.assistant.server.test_fleet import wait_for_notices
from tests.assistant.server.test_fleet_notices import (
    announcement,
    car_session,
    replicas,
    stream,
)
from tests.assistant.server.test_webhook import pushed
from tests.servers.postgres import PostgresServer

pytestmark = [pytest.mark.vosk, pytest.mark.slow]

SECRET = "acme-inbound-secret-0123456789"
INBOUND = "/v1/webhook/acme/inbound"


@pytest.fixture
def fleet(
    postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Live, Live, Settings]]:
    """Two replicas; tenant acme on the webhook backend, which takes signed pushes."""
    monkeypatch.setenv("ACME_WEBHOOK_SECRET", SECRET)
    tenant = tmp_path / "tenants" / "acme"
    tenant.mkdir(parents=True)
    (tenant / "tenant.toml").write_text(
        'backend = "webhook"\n[connectors.webhook]\nurl = "https://acme.example/drivetalk"\n'
        'secret_env = "ACME_WEBHOOK_SECRET"\ninbound_secret_env = "ACME_WEBHOOK_SECRET"\n',
        encoding="utf-8",
    )
    with replicas(postgres, tmp_path) as running:
        yield running


def push(live: Live, event_id: str, body: str) -> None:
    data = pushed(event_id, body)
    headers = signed_headers(SECRET, int(time.time()), data)
    accepted = httpx.post(f"{live.url}{INBOUND}", content=data, headers=headers, timeout=30)
    assert accepted.status_code == 202, accepted.text


def test_a_message_is_announced_on_the_open_stream_not_where_the_last_rest_turn_was(
    fleet: tuple[Live, Live, Settings],
) -> None:
    one, two, settings = fleet
    key, headers, session = car_session(one, settings)
    turn = f"/v1/sessions/{session}/turns/text"
    notices = f"{one.url}/v1/sessions/{session}/notices"
    with stream(two, session, key) as ws:
        # The latest turn is served by "one": its copy is the stored dialog's.
        said = httpx.post(f"{one.url}{turn}", json={"text": "help"}, headers=headers, timeout=60)
        assert said.status_code == 200, said.text
        push(one, "e1", "The client is waiting in the lobby")
        event = announcement(ws)
        assert "Wang Fang" in event["text"], event
        assert httpx.get(notices, headers=headers, timeout=60).json()["notices"] == []
    # The stream is closed: the copy that served the latest turn announces again.
    push(one, "e2", "The client has left")
    assert any("Wang Fang" in n for n in wait_for_notices(one, key, session))
