"""The driver's side of a delivery that outlives an outage: queued, never re-confirmed, told once.

A real dialog runner, the real webhook connector and the real receiver on
loopback: the receiver takes the message and then never answers in time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from assistant.config import OutboxSettings
from assistant.delivery import open_outbox, worker_for
from assistant.dialog.runner import DialogRunner
from assistant.dialog.sink import ShownAndSpoken
from assistant.models import Contact
from connectors.outbox import OUTBOX_FILE, DeliveryWorker, Outbox
from connectors.registry import ConnectorContext
from connectors.webhook import WebhookConnector
from intents.parser import Parser
from tests.conftest import ZONE
from tests.faults.receiver import SECRET, Receiver, receiving

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

LI_WEI = Contact("u-liwei", "Li Wei")
FAST = OutboxSettings(answer_within_s=1.0, base_delay_s=0.05, max_delay_s=0.3, idle_poll_s=1.0)


@dataclass
class Car:
    """One driver's runner, its outbox and the process's delivery worker."""

    runner: DialogRunner
    outbox: Outbox
    worker: DeliveryWorker
    said: list[str]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as running:
        yield running


@pytest.fixture
async def car(receiver: Receiver, tmp_path: Path) -> AsyncIterator[Car]:
    context = ConnectorContext(
        data_dir=tmp_path,
        zone=ZONE,
        env={"FAULT_RECEIVER_SECRET": SECRET},
        now=lambda: datetime.now(ZONE),
    )
    config = {"url": receiver.url, "secret_env": "FAULT_RECEIVER_SECRET", "timeout": 0.3}
    connector = WebhookConnector.from_config(config, context)
    outbox = open_outbox(tmp_path / OUTBOX_FILE, FAST)
    worker = worker_for(outbox, connector, FAST)
    assert worker is not None
    said: list[str] = []
    runner = DialogRunner(
        connector=connector,
        outbox=outbox,
        parser=Parser.from_contacts([LI_WEI]),
        clock=lambda: datetime.now(ZONE),
        speech=ShownAndSpoken(said.append),
        owner="car-1",
    )
    yield Car(runner, outbox, worker, said)
    receiver.release.set()
    await connector.aclose()
    outbox.close()


async def hear(car: Car, text: str) -> list[str]:
    before = len(car.said)
    await car.runner.hear(text)
    return car.said[before:]


async def test_a_timed_out_send_is_queued_not_kept_as_a_draft(car: Car, receiver: Receiver) -> None:
    receiver.script.extend(["take_then_hang"] * 100)  # took it, then never answers in time
    await hear(car, "send a message to li wei saying i'm parking now")
    [reply] = await hear(car, "yes")
    assert "queued" in reply
    assert "kept the draft" not in reply
    assert car.runner.state.kept_draft is None
    # "Send it" again confirms nothing: the message is never sent under a new key.
    assert await hear(car, "send it") == ["There's nothing to confirm right now."]
    [entry] = car.outbox.pending()
    assert entry.announce
    assert entry.owner == "car-1"
    assert list(receiver.accepted) == [entry.key]  # it did arrive, once


async def test_the_driver_is_told_once_when_the_queued_message_is_delivered(
    car: Car, receiver: Receiver
) -> None:
    receiver.script.extend(["hang"] * 100)  # every attempt of the dialog times out
    await hear(car, "send a message to li wei saying i'm parking now")
    await hear(car, "yes")
    [queued] = car.outbox.pending()
    receiver.script.clear()
    receiver.release.set()  # the receiver recovers
    delivering = asyncio.create_task(car.worker.run())
    try:
        for _ in range(400):
            if car.outbox.late_deliveries("car-1"):
                break
            await asyncio.sleep(0.05)
        before = len(car.said)
        await car.runner.report_notices()
        await car.runner.report_notices()
        assert car.said[before:] == ["Your message to Li Wei was delivered."]
    finally:
        delivering.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await delivering
    assert receiver.accepted == {queued.key: queued.message.body}
    assert receiver.tally([queued.message.body]) == (0, 0)


async def test_a_refusal_is_told_at_once_and_the_draft_kept(car: Car, receiver: Receiver) -> None:
    receiver.secret = b"the enterprise rotated its secret"  # every request now answers 401
    await hear(car, "send a message to li wei saying i'm parking now")
    [reply] = await hear(car, "yes")
    assert "couldn't send your message to Li Wei" in reply
    assert car.runner.state.kept_draft is not None
    assert car.outbox.pending() == []
    assert car.outbox.failures() == []
    assert receiver.accepted == {}
