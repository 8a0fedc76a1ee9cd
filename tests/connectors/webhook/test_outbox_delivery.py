"""The durable outbox delivering through the signed webhook: exactly once."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import JSONResponse, Response

from assistant.models import OutgoingMessage
from connectors.outbox import Outbox
from connectors.retry import RetryPolicy
from tests.connectors.webhook.conftest import WebhookFactory
from tests.connectors.webhook.enterprise import EnterpriseBackend

FAST = RetryPolicy(max_attempts=6, base_delay=0.01, max_delay=0.05, deadline=60)


def message(key: str) -> OutgoingMessage:
    return OutgoingMessage(key, "u-liwei", "Li Wei", "Parking now")


async def test_errors_and_throttling_are_retried_until_delivered_once(
    enterprise: EnterpriseBackend, make_webhook: WebhookFactory, tmp_path: Path
) -> None:
    enterprise.script = [
        Response(status_code=503),
        JSONResponse({"error": "slow down"}, 429, headers={"Retry-After": "0"}),
        Response(status_code=502),
    ]
    with Outbox.open(tmp_path / "outbox.sqlite3", policy=FAST) as outbox:
        outbox.enqueue(message("k1"))
        [entry] = await outbox.flush(make_webhook())
    assert entry.state == "delivered"
    assert (len(enterprise.deliveries), enterprise.requests) == (1, 4)


async def test_a_lost_answer_is_retried_and_still_delivered_once(
    enterprise: EnterpriseBackend, make_webhook: WebhookFactory, tmp_path: Path
) -> None:
    # The enterprise delivers, then answers too late; the retry carries the
    # same Idempotency-Key and gets the original receipt back.
    enterprise.lose_next_answer = 2.0
    with Outbox.open(tmp_path / "outbox.sqlite3", policy=FAST) as outbox:
        entry = outbox.enqueue(message("k1"))
        receipt = await outbox.deliver(entry, make_webhook(timeout=0.5))
    assert receipt.message_id == "ent-1"
    assert len(enterprise.deliveries) == 1
    assert enterprise.requests >= 2
