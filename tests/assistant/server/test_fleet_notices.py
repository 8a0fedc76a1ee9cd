"""A delivery notice reaches the car's stream on whichever replica it is, without polling.

Specification: replica A's delivery worker settles a message the driver
heard was queued (a late delivery). The car's session has a copy on
replica "one" (it took a REST turn there) and its WebSocket stream on
replica "two". The notice is announced on the stream, on "two", at once
(PostgreSQL NOTIFY rings two's outbox bell); the copy on "one", which only
noted the ring, has nothing left to hand out: the car is told once.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from assistant.backend import build_backend
from assistant.compose import contacts_of, directory_for
from assistant.config import ServerLimits, ServerSettings, Settings, TTSSettings
from assistant.models import OutgoingMessage
from assistant.server.app import create_app
from assistant.storage.postgres import PostgresDatabase
from connectors.outbox import Outbox
from tests.assistant.server.live import OPERATOR_ENV, Live, make_key, serve, server_settings
from tests.servers.postgres import PostgresServer

pytestmark = [pytest.mark.vosk, pytest.mark.slow]

FORMAT_16K = {"rate": 16000, "channels": 1, "sample": "s16le"}


@pytest.fixture
def fleet(postgres: PostgresServer, tmp_path: Path) -> Iterator[tuple[Live, Live, Settings]]:
    with replicas(postgres, tmp_path) as running:
        yield running


@contextmanager
def replicas(postgres: PostgresServer, tmp_path: Path) -> Iterator[tuple[Live, Live, Settings]]:
    """Two servers on one new PostgreSQL database, data under ``tmp_path``; their settings."""
    settings = server_settings(
        tmp_path,
        tts=TTSSettings(enabled=False),
        server=ServerSettings(
            database_url=postgres.create_database(), limits=ServerLimits(sessions_per_key=4)
        ),
    )
    with (
        serve(create_app(settings, env=OPERATOR_ENV)) as one,
        serve(create_app(settings, env=OPERATOR_ENV)) as two,
    ):
        yield one, two, settings


def late_delivery_elsewhere(settings: Settings, vehicle: str) -> str:
    """Replica A (another process's outbox): confirm, "queued", then deliver late; the body."""
    assert settings.server.database_url is not None
    db = PostgresDatabase.connect(settings.server.database_url, max_size=2)
    outbox = Outbox.shared(db, "acme")
    connector = build_backend(settings, "local", data_dir=settings.data_dir / "tenants" / "acme")

    async def deliver() -> str:
        directory = directory_for(settings, connector)
        people = [c for c in await contacts_of(directory) if c.kind == "person"]
        body = f"on my way {uuid.uuid4().hex[:6]}"
        message = OutgoingMessage(uuid.uuid4().hex, people[0].id, people[0].name, body)
        entry = outbox.enqueue(message, owner=vehicle)  # claimed by A: the others leave it
        outbox.mark_queued(entry.key)  # the driver heard "I'll send it when I can"
        settled = await outbox.attempt(entry.key, connector)
        assert settled.state == "delivered"
        await connector.aclose()
        return people[0].name

    try:
        return asyncio.run(deliver())
    finally:
        db.close()


@contextmanager
def stream(live: Live, session: str, key: str) -> Iterator[ClientConnection]:
    with connect(
        f"{live.ws_url}/v1/sessions/{session}/stream",
        additional_headers={"Authorization": f"Bearer {key}"},
        open_timeout=30,
    ) as ws:
        ws.send(json.dumps({"type": "start", "format": FORMAT_16K}))
        assert next_event(ws, 120)["type"] == "ready"
        yield ws


def next_event(ws: ClientConnection, timeout: float = 60) -> dict[str, Any]:
    while True:
        frame = ws.recv(timeout=timeout)
        if isinstance(frame, str):
            event: dict[str, Any] = json.loads(frame)
            return event


def car_session(live: Live, settings: Settings) -> tuple[str, dict[str, str], str]:
    """Car-1 of tenant acme: its key, request headers, and a session opened on ``live``."""
    key = make_key(settings, "acme", "car-1")
    headers = {"Authorization": f"Bearer {key}"}
    session = httpx.post(f"{live.url}/v1/sessions", headers=headers, timeout=60).json()["id"]
    return key, headers, str(session)


def announcement(ws: ClientConnection, within: float = 60) -> dict[str, Any]:
    """The next ``announcement`` event, within ``within`` seconds."""
    deadline = time.monotonic() + within
    while (event := next_event(ws, max(1.0, deadline - time.monotonic())))["type"] != (
        "announcement"
    ):
        pass
    return event


def test_a_late_delivery_on_another_replica_is_announced_on_the_cars_stream(
    fleet: tuple[Live, Live, Settings],
) -> None:
    one, two, settings = fleet
    key, headers, session = car_session(one, settings)
    turn = f"/v1/sessions/{session}/turns/text"
    assert httpx.post(f"{one.url}{turn}", json={"text": "help"}, headers=headers, timeout=60)
    with stream(two, session, key) as ws:
        recipient = late_delivery_elsewhere(settings, "car-1")
        event = announcement(ws)
        assert recipient.split()[0] in event["text"], event
    # The copy on "one" heard the bell too, but the notice was the stream's to tell.
    left = httpx.get(f"{one.url}/v1/sessions/{session}/notices", headers=headers, timeout=60)
    assert left.json()["notices"] == []
