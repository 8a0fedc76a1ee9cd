"""Keys DingTalk de-duplicates on: the robot's ``msgUuid``, the calendar's ``x-client-token``.

Both are derived from DriveTalk's own idempotency key, so a retry after a lost
answer (DingTalk accepted, the car never heard) does not post or create twice.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from assistant.errors import BackendUnavailableError, NotFoundError
from assistant.models import EventDraft, OutgoingMessage
from connectors.dingtalk.idempotency import create_token, delete_token, robot_msg_uuid
from connectors.outbox import Outbox
from connectors.retry import RetryPolicy
from tests.conftest import NOW
from tests.connectors.dingtalk.conftest import ROBOT_GROUP, ConnectorFactory
from tests.connectors.dingtalk.emulator import DingTalkEmulator

FAST = RetryPolicy(max_attempts=6, base_delay=0.01, max_delay=0.05, deadline=60)


def meeting(title: str = "Budget review") -> EventDraft:
    start = NOW.replace(hour=15)
    return EventDraft(title=title, start=start, end=start + timedelta(hours=1))


def test_derived_keys_are_stable_and_distinct() -> None:
    assert robot_msg_uuid("k1") == robot_msg_uuid("k1")
    assert robot_msg_uuid("k1") != robot_msg_uuid("k2")
    draft = meeting()
    assert create_token("un-a", draft) == create_token("un-a", draft)
    assert create_token("un-a", draft) != create_token("un-b", draft)
    assert create_token("un-a", draft) != create_token("un-a", meeting("Other"))
    assert create_token("un-a", draft, "key") != create_token("un-a", draft)
    assert delete_token("un-a", "e1") != delete_token("un-a", "e2")


async def test_a_robot_message_whose_answer_was_lost_is_posted_once(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory, tmp_path: Path
) -> None:
    connector = make_connector(timeout=0.5)
    emulator.lose_next_answer["robot"] = 2.0  # posted, but the answer never reaches the car
    message = OutgoingMessage("k1", ROBOT_GROUP, "Fleet Alerts", "Convoy leaving", to_group=True)
    with Outbox.open(tmp_path / "outbox.sqlite3", policy=FAST) as outbox:
        entry = outbox.enqueue(message)
        await outbox.deliver(entry, connector)
        assert outbox.get("k1").attempts == 2  # the first attempt timed out
    [posted] = emulator.robot_messages
    assert posted["msgUuid"] == robot_msg_uuid("k1")


async def test_an_event_whose_answer_was_lost_is_created_once(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(timeout=0.5)
    emulator.lose_next_answer["calendar_create"] = 2.0
    with pytest.raises(BackendUnavailableError, match="timed out"):
        await connector.create_event(meeting())
    made = await connector.create_event(meeting())  # the retry: same draft, same token
    assert emulator.calendar.created == 1
    assert [e.id for e in await connector.events(NOW, NOW + timedelta(days=1))] == [made.id]


async def test_the_callers_key_separates_two_identical_events(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    first = await connector.create_event(meeting(), idempotency_key="confirm-1")
    again = await connector.create_event(meeting(), idempotency_key="confirm-1")
    other = await connector.create_event(meeting(), idempotency_key="confirm-2")
    assert again.id == first.id
    assert other.id != first.id
    assert emulator.calendar.created == 2


async def test_a_repeated_delete_succeeds_once_and_the_token_lasts_a_day(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    made = await connector.create_event(meeting())
    await connector.cancel_event(made.id)
    await connector.cancel_event(made.id)  # a retry after a lost answer: not "not found"
    emulator.advance(25 * 3600)  # the x-client-token is honoured for a day only
    with pytest.raises(NotFoundError, match="eventNotFound"):
        await connector.cancel_event(made.id)
