"""The durable outbox delivering through DingTalk: retries and the honest gap."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from assistant.models import OutgoingMessage
from connectors.outbox import Outbox
from connectors.retry import RetryPolicy
from tests.connectors.dingtalk.conftest import ConnectorFactory
from tests.connectors.dingtalk.emulator import DingTalkEmulator

FAST = RetryPolicy(max_attempts=6, base_delay=0.01, max_delay=0.05, deadline=60)


def message(key: str) -> OutgoingMessage:
    return OutgoingMessage(key, "u-liwei-sales", "Li Wei", f"Parking now {key}")


async def test_throttling_is_retried_and_delivered_once(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory, tmp_path: Path
) -> None:
    connector = make_connector()
    emulator.fail_next("oto", "Forbidden.AccessDenied.QpsLimitForApi", status=403, times=3)
    with Outbox.open(tmp_path / "outbox.sqlite3", policy=FAST) as outbox:
        entry = outbox.enqueue(message("k1"))
        await outbox.deliver(entry, connector)
        await outbox.flush(connector)  # nothing left to do
    assert len(emulator.oto_messages) == 1


async def test_a_throttled_burst_is_delivered_exactly_once(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory, tmp_path: Path
) -> None:
    # DingTalk throttles a burst with HTTP 400 send.too.fast and, past 20 calls
    # a second, HTTP 403 QpsLimitForApi: both must make the outbox back off
    # and retry, never give up or send twice.
    connector = make_connector()
    emulator.fail_next("oto", "send.too.fast", status=400, times=8)
    keys = [f"burst-{i}" for i in range(30)]
    with Outbox.open(tmp_path / "outbox.sqlite3", policy=FAST) as outbox:
        entries = [outbox.enqueue(message(key)) for key in keys]
        await asyncio.gather(*(outbox.deliver(entry, connector) for entry in entries))
        states = {outbox.get(key).state for key in keys}
        retried = sum(outbox.get(key).attempts > 1 for key in keys)
    assert states == {"delivered"}
    assert retried >= 8  # the throttled attempts were retried, not refused
    bodies = sorted(json.loads(m["msgParam"])["content"] for m in emulator.oto_messages)
    assert bodies == sorted(f"Parking now {key}" for key in keys)  # each exactly once


async def test_a_restart_after_delivery_does_not_send_again(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory, tmp_path: Path
) -> None:
    # Delivered, but the process died before the outbox recorded it: the
    # DingTalk ledger (same data dir) still knows the key.
    await make_connector().send(message("k1"))
    with Outbox.open(tmp_path / "outbox.sqlite3", policy=FAST) as outbox:
        outbox.enqueue(message("k1"))
        [entry] = await outbox.flush(make_connector())
    assert entry.state == "delivered"
    assert len(emulator.oto_messages) == 1


async def test_a_lost_answer_may_deliver_twice_as_documented(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory, tmp_path: Path
) -> None:
    # DingTalk takes no idempotency key: when its answer is lost, nobody can
    # know the message arrived, and the retry sends it again (at-least-once).
    connector = make_connector(timeout=0.5)
    emulator.lose_next_answer["oto"] = 2.0
    with Outbox.open(tmp_path / "outbox.sqlite3", policy=FAST) as outbox:
        entry = outbox.enqueue(message("k1"))
        await outbox.deliver(entry, connector)
    assert len(emulator.oto_messages) == 2
