"""The inbound endpoint under a real uvicorn: signed, unsigned, stale, replayed, malformed."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from connectors.webhook import WebhookConnector, create_inbound_router
from connectors.webhook.signing import signed_headers
from tests.connectors.webhook.conftest import SECRET, WebhookFactory
from tests.connectors.webhook.loopback import serve_here

PATH = "/v1/webhook/webhook/inbound"


def event(event_id: str = "evt-1", **message: Any) -> dict[str, Any]:
    body = {
        "id": "m-1",
        "conversation_id": "c-apollo",
        "conversation_name": "Project Apollo",
        "conversation_kind": "group",
        "sender_id": "u-davidz",
        "sender_name": "David Zhang",
        "body": "Demo moved to 3pm",
        "sent_at": "2026-11-23T08:05:00+08:00",
        **message,
    }
    return {"type": "message.incoming", "version": 1, "id": event_id, "message": body}


def signed(
    payload: dict[str, Any] | bytes, *, skew: int = 0, secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = signed_headers(secret, int(time.time()) + skew, raw)
    return raw, {**headers, "Content-Type": "application/json"}


@pytest.fixture
async def inbound(
    make_webhook: WebhookFactory,
) -> AsyncIterator[tuple[httpx.AsyncClient, WebhookConnector]]:
    connector = make_webhook()
    app = FastAPI()
    app.include_router(create_inbound_router({"webhook": connector}))
    async with (
        serve_here(app) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):
        yield client, connector


Post = Callable[..., Any]


async def test_a_signed_event_is_accepted_and_reaches_incoming(inbound: Any) -> None:
    client, connector = inbound
    listener = asyncio.create_task(anext(aiter(connector.incoming())))
    raw, headers = signed(event())
    answer = await client.post(PATH, content=raw, headers=headers)
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"status": "accepted", "id": "m-1"}
    message = await asyncio.wait_for(listener, timeout=30)
    assert (message.sender_name, message.body) == ("David Zhang", "Demo moved to 3pm")
    assert message.sent_at.utcoffset() is not None
    assert [m.id for m in await connector.unread_messages()] == ["m-1"]
    [conversation] = await connector.conversations()
    assert (conversation.name, conversation.kind) == ("Project Apollo", "group")


BAD_REQUESTS: list[tuple[str, Callable[[], tuple[bytes, dict[str, str]]], int, str]] = [
    ("unsigned", lambda: (json.dumps(event()).encode(), {}), 401, "missing_signature"),
    (
        "wrong secret",
        lambda: signed(event(), secret="not-the-shared-secret"),
        401,
        "invalid_signature",
    ),
    ("stale", lambda: signed(event(), skew=-301), 401, "stale_timestamp"),
    ("from the future", lambda: signed(event(), skew=+400), 401, "stale_timestamp"),
    ("not json", lambda: signed(b"{oops"), 400, "malformed_json"),
    ("json array", lambda: signed(b"[1, 2]"), 400, "malformed_json"),
    ("missing field", lambda: signed({**event(), "message": {"id": "x"}}), 422, "schema_violation"),
    ("naive time", lambda: signed(event(sent_at="2026-11-23T08:05:00")), 422, "schema_violation"),
    (
        "unknown type",
        lambda: signed({**event(), "type": "message.deleted"}),
        422,
        "schema_violation",
    ),
    ("extra key", lambda: signed({**event(), "admin": True}), 422, "schema_violation"),
]


@pytest.mark.parametrize(
    ("why", "build", "status", "code"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS]
)
async def test_bad_requests_get_a_specific_4xx(
    inbound: Any,
    why: str,
    build: Callable[[], tuple[bytes, dict[str, str]]],
    status: int,
    code: str,
) -> None:
    client, connector = inbound
    raw, headers = build()
    answer = await client.post(PATH, content=raw, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["message"]
    assert SECRET not in answer.text
    assert await connector.unread_messages() == []


async def test_a_tampered_body_fails_the_signature(inbound: Any) -> None:
    client, _ = inbound
    raw, headers = signed(event())
    tampered = raw.replace(b"3pm", b"4pm")
    answer = await client.post(PATH, content=tampered, headers=headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "invalid_signature")


async def test_a_replayed_event_is_rejected(inbound: Any) -> None:
    client, connector = inbound
    raw, headers = signed(event())
    assert (await client.post(PATH, content=raw, headers=headers)).status_code == 202
    again = await client.post(PATH, content=raw, headers=headers)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "replayed")
    raw2, headers2 = signed(event("evt-2", id="m-2"))
    assert (await client.post(PATH, content=raw2, headers=headers2)).status_code == 202
    assert [m.id for m in await connector.unread_messages()] == ["m-1", "m-2"]


@pytest.mark.parametrize(
    "how",
    ["unsigned", "wrong secret", "stale", "signed with another connector's secret"],
)
async def test_an_unknown_connector_is_answered_like_a_known_one(inbound: Any, how: str) -> None:
    """Status, code and message are the same, so the route does not tell which names exist."""
    client, _ = inbound
    raw, headers = signed(event())
    if how == "unsigned":
        headers = {"Content-Type": "application/json"}
    elif how == "wrong secret":
        headers = signed(event(), secret="s" * 32)[1]
    elif how == "stale":
        headers = signed(event(), skew=-3600)[1]
    known = await client.post(PATH, content=raw, headers=headers)
    unknown = await client.post("/v1/webhook/nope/inbound", content=raw, headers=headers)
    if how == "signed with another connector's secret":
        assert known.status_code == 202  # the control: the signature is good for PATH
        assert (unknown.status_code, unknown.json()["error"]["code"]) == (401, "invalid_signature")
        return
    assert known.status_code == 401
    assert (unknown.status_code, _ageless(unknown.json())) == (401, _ageless(known.json()))


def _ageless(body: Any) -> Any:
    """``body`` with the seconds of a stale timestamp's age blanked: the two
    requests are sent a moment apart, so the age may differ by a second."""
    return json.loads(re.sub(r"\d+ s old", "N s old", json.dumps(body)))


async def test_oversized_bodies(inbound: Any) -> None:
    client, _ = inbound
    huge, headers = signed(b"x" * 300_000)
    too_big = await client.post(PATH, content=huge, headers=headers)
    assert (too_big.status_code, too_big.json()["error"]["code"]) == (413, "too_large")
