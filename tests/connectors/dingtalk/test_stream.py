"""Stream mode: incoming robot messages over the emulator's WebSocket."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import pytest

from assistant.models import Message
from connectors.dingtalk.connector import DingTalkConnector
from tests.connectors.dingtalk.conftest import ConnectorFactory, eventually
from tests.connectors.dingtalk.emulator import ROBOT_TOPIC, DingTalkEmulator
from tests.connectors.dingtalk.frames import frame, robot_message


class Listener:
    """Collects ``connector.incoming()`` in a background task."""

    def __init__(self, connector: DingTalkConnector) -> None:
        self.received: list[Message] = []
        self._task = asyncio.create_task(self._collect(connector.incoming()))

    async def _collect(self, messages: AsyncIterator[Message]) -> None:
        async for message in messages:
            self.received.append(message)

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def connected(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> tuple[DingTalkConnector, Listener]:
    connector = make_connector()
    listener = Listener(connector)
    await eventually(lambda: emulator.open_streams == 1)
    return connector, listener


async def test_messages_arrive_and_are_acknowledged(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector, listener = await connected(emulator, make_connector)
    pushed = robot_message("Are you on the way?", "u-wangfang")
    emulator.push(pushed)
    await eventually(lambda: len(listener.received) == 1 and len(emulator.acks) == 1)
    [message] = listener.received
    assert (message.sender_name, message.body) == ("Wang Fang", "Are you on the way?")
    assert message.sender_id == "u-wangfang"
    [ack] = emulator.acks
    assert ack["code"] == 200
    assert ack["message"] == "OK"
    assert ack["headers"]["messageId"] == pushed["headers"]["messageId"]
    assert [m.id for m in await connector.unread_messages()] == [message.id]
    await connector.mark_read([message.id])
    assert await connector.unread_messages() == []
    await listener.stop()


async def test_group_messages_name_the_group(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector, listener = await connected(emulator, make_connector)
    emulator.push(robot_message("Demo moved to 3pm", "u-davidz", group="cidApollo=="))
    await eventually(lambda: len(listener.received) == 1)
    assert listener.received[0].conversation_name == "Project Apollo"
    conversations = {c.id: c for c in await connector.conversations()}
    assert conversations["cidApollo=="].kind == "group"
    assert [m.body for m in await connector.recent_messages("cidApollo==")] == ["Demo moved to 3pm"]
    await listener.stop()


async def test_ping_is_answered_with_its_own_data(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    _, listener = await connected(emulator, make_connector)
    ping = frame("SYSTEM", "ping", {"opaque": "42"})
    emulator.push(ping)
    await eventually(lambda: len(emulator.acks) == 1)
    assert emulator.acks[0]["headers"]["messageId"] == ping["headers"]["messageId"]
    assert json.loads(emulator.acks[0]["data"]) == {"opaque": "42"}
    await listener.stop()


async def test_a_dropped_socket_reconnects_with_a_fresh_ticket(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    _, listener = await connected(emulator, make_connector)
    emulator.push(None)  # the server drops the connection
    await eventually(lambda: emulator.stream_opens == 2 and emulator.open_streams == 1)
    emulator.push(robot_message("Still there?", "u-lina"))
    await eventually(lambda: len(listener.received) == 1)
    assert emulator.tickets == set()  # each ticket was used exactly once
    await listener.stop()


async def test_a_disconnect_frame_leads_to_a_reconnect(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    _, listener = await connected(emulator, make_connector)
    emulator.push(frame("SYSTEM", "disconnect", {"reason": "server upgrade"}))
    await eventually(lambda: emulator.stream_opens == 2 and emulator.open_streams == 1)
    await listener.stop()


async def test_bad_frames_are_acknowledged_and_skipped(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    _, listener = await connected(emulator, make_connector)
    broken = frame("CALLBACK", ROBOT_TOPIC, {})
    broken["data"] = "{not json"
    picture = frame("CALLBACK", ROBOT_TOPIC, {"msgId": "p1", "msgtype": "picture"})
    own = robot_message("echo of my own message", "u-zhangsan")  # the driver's own id
    for item in (broken, picture, own, robot_message("real one", "u-lina")):
        emulator.push(item)
    await eventually(lambda: len(emulator.acks) == 4)
    assert [m.body for m in listener.received] == ["real one"]
    await listener.stop()


async def test_wrong_credentials_keep_retrying_without_crashing(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(reconnect_max=0.2)
    emulator.app_secret = "rotated"  # our secret no longer opens connections
    listener = Listener(connector)
    await asyncio.sleep(1.0)
    assert emulator.stream_opens == 0
    emulator.app_secret = "app-secret-7f3c9a"
    await eventually(lambda: emulator.open_streams == 1)
    await listener.stop()


async def test_a_duplicate_frame_is_acknowledged_but_kept_once(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    # DingTalk does not redeliver robot messages, but a duplicate (same msgId)
    # must still never be read out twice.
    connector, listener = await connected(emulator, make_connector)
    pushed = robot_message("Only once please", "u-lina")
    emulator.push(pushed)
    emulator.push(pushed)
    await eventually(lambda: len(emulator.acks) == 2)
    assert [m.body for m in listener.received] == ["Only once please"]
    assert len(await connector.unread_messages()) == 1
    await listener.stop()


async def test_tickets_and_secrets_stay_out_of_debug_logs(
    emulator: DingTalkEmulator,
    make_connector: ConnectorFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _, listener = await connected(emulator, make_connector)
    emulator.push(None)
    await eventually(lambda: emulator.stream_opens == 2 and emulator.open_streams == 1)
    await listener.stop()
    assert "ticket=***" in caplog.text  # the handshake was logged, masked
    for secret in [*emulator.issued_tickets, emulator.app_secret]:
        assert secret not in caplog.text


async def test_a_message_sent_while_the_car_was_offline_is_gone(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    # Stream mode keeps nothing for a client that is not connected, and no
    # robot API reads history back: "unread" starts when the car connects.
    emulator.stream.robot_message(robot_message("Sent while parked", "u-lina"))
    connector, listener = await connected(emulator, make_connector)
    emulator.stream.robot_message(robot_message("Sent while driving", "u-lina"))
    await eventually(lambda: len(listener.received) == 1)
    assert [m.body for m in await connector.unread_messages()] == ["Sent while driving"]
    assert [json.loads(f["data"])["text"]["content"] for f in emulator.stream.dropped] == [
        " Sent while parked"
    ]
    await listener.stop()


async def test_in_a_group_only_messages_that_mention_the_robot_arrive(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector, listener = await connected(emulator, make_connector)
    group = "cidApollo=="
    chatter = robot_message("chatter", "u-davidz", group=group, mentioned=False)
    emulator.stream.robot_message(chatter)
    emulator.stream.robot_message(robot_message("@robot ping me", "u-davidz", group=group))
    await eventually(lambda: len(listener.received) == 1)
    assert [m.body for m in await connector.recent_messages(group)] == ["@robot ping me"]
    assert len(emulator.stream.not_mentioned) == 1
    await listener.stop()


async def test_acknowledged_frames_leave_nothing_pending(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    _, listener = await connected(emulator, make_connector)
    for text in ("one", "two", "three"):
        emulator.stream.robot_message(robot_message(text, "u-lina"))
    await eventually(lambda: len(emulator.acks) == 3)
    assert emulator.stream.unacked == set()  # nothing DingTalk would consider lost
    await listener.stop()
