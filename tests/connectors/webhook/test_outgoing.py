"""Outgoing messages POSTed, signed, to a real enterprise server on loopback."""

from __future__ import annotations

import pytest
from fastapi.responses import JSONResponse, Response

from assistant.errors import (
    AuthenticationError,
    BackendUnavailableError,
    RateLimitedError,
    RejectedError,
)
from assistant.models import OutgoingMessage
from tests.connectors.webhook.conftest import ENV, WebhookFactory
from tests.connectors.webhook.enterprise import EnterpriseBackend


def outgoing(key: str = "key-1", **kw: object) -> OutgoingMessage:
    fields: dict = {"recipient_id": "u-liwei", "recipient_name": "Li Wei", "body": "On my way"}
    return OutgoingMessage(idempotency_key=key, **{**fields, **kw})


async def test_a_signed_schema_valid_event_is_delivered_with_its_receipt(
    enterprise: EnterpriseBackend, make_webhook: WebhookFactory
) -> None:
    receipt = await make_webhook().send(outgoing(urgent=True, in_reply_to="m-7"))
    [event] = enterprise.deliveries
    assert event["type"] == "message.outgoing"
    assert event["id"] == "key-1"
    assert event["sender"] == {"id": "car-042", "name": "Zhang San"}
    assert event["message"]["urgent"] is True
    assert event["message"]["in_reply_to"] == "m-7"
    assert (receipt.message_id, receipt.conversation_id) == ("ent-1", "conv-u-liwei")


async def test_a_retried_key_is_delivered_once(
    enterprise: EnterpriseBackend, make_webhook: WebhookFactory
) -> None:
    connector = make_webhook()
    first = await connector.send(outgoing())
    again = await connector.send(outgoing())
    assert again.message_id == first.message_id
    assert (len(enterprise.deliveries), enterprise.requests) == (1, 2)


async def test_a_throttled_send_carries_retry_after_then_succeeds(
    enterprise: EnterpriseBackend, make_webhook: WebhookFactory
) -> None:
    enterprise.script = [
        JSONResponse({"error": "slow down"}, 429, headers={"Retry-After": "7"}),
        JSONResponse(
            {"error": "slow down"}, 429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
        ),
    ]
    connector = make_webhook()
    with pytest.raises(RateLimitedError, match="slow down") as first:
        await connector.send(outgoing())
    with pytest.raises(RateLimitedError) as second:
        await connector.send(outgoing())
    assert first.value.retry_after == 7
    assert second.value.retry_after == 0  # a date in the past: retry now
    await connector.send(outgoing())
    assert len(enterprise.deliveries) == 1


@pytest.mark.parametrize(
    ("answer", "error", "match"),
    [
        (JSONResponse({"error": "maintenance"}, 503), BackendUnavailableError, "maintenance"),
        (Response(status_code=500), BackendUnavailableError, "HTTP 500"),
        (Response(status_code=408), BackendUnavailableError, "408"),
        (JSONResponse({"error": "unknown recipient"}, 404), RejectedError, "unknown recipient"),
        (JSONResponse({"detail": "forbidden"}, 403), AuthenticationError, "forbidden"),
    ],
)
async def test_answers_map_onto_the_error_tree(
    enterprise: EnterpriseBackend,
    make_webhook: WebhookFactory,
    answer: Response,
    error: type[Exception],
    match: str,
) -> None:
    enterprise.script = [answer]
    with pytest.raises(error, match=match):
        await make_webhook().send(outgoing())


async def test_a_wrong_secret_is_refused_by_the_enterprise(
    enterprise: EnterpriseBackend, make_webhook: WebhookFactory
) -> None:
    env = {"ENTERPRISE_WEBHOOK_SECRET": "another-secret-of-16+"}
    with pytest.raises(AuthenticationError, match="bad signature"):
        await make_webhook(env=env).send(outgoing())
    assert enterprise.deliveries == []


async def test_a_2xx_without_receipt_still_counts_as_delivered(
    enterprise: EnterpriseBackend, make_webhook: WebhookFactory
) -> None:
    enterprise.script = [Response(status_code=204), JSONResponse({"unexpected": True}, 200)]
    connector = make_webhook()
    assert (await connector.send(outgoing("a"))).message_id == "a"
    assert (await connector.send(outgoing("b"))).conversation_id == "u-liwei"


async def test_timeouts_and_dead_servers_are_unavailable(
    enterprise: EnterpriseBackend, make_webhook: WebhookFactory
) -> None:
    enterprise.delay = 3.0
    with pytest.raises(BackendUnavailableError, match="timed out"):
        await make_webhook(timeout=0.3).send(outgoing())
    with pytest.raises(BackendUnavailableError, match="unreachable"):
        await make_webhook(url="http://127.0.0.1:9/x").send(outgoing())


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (outgoing(body=""), "body"),
        (outgoing(body="x" * 20_001), "body"),
        (outgoing(recipient_id=""), "recipient_id"),
    ],
)
async def test_invalid_messages_are_rejected_before_sending(
    enterprise: EnterpriseBackend,
    make_webhook: WebhookFactory,
    message: OutgoingMessage,
    match: str,
) -> None:
    with pytest.raises(RejectedError, match=match):
        await make_webhook().send(message)
    assert enterprise.requests == 0


async def test_check_sends_a_signed_ping(
    enterprise: EnterpriseBackend, make_webhook: WebhookFactory
) -> None:
    good = await make_webhook().check()
    bad = await make_webhook(env={"ENTERPRISE_WEBHOOK_SECRET": "another-secret-of-16+"}).check()
    assert good.ok, good.detail
    assert not bad.ok
    assert "refused" in bad.detail
    assert enterprise.deliveries == []
    assert ENV["ENTERPRISE_WEBHOOK_SECRET"] not in bad.detail
