"""MatrixConnector against a real Synapse: rooms, sending, unread, incoming, directory."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest

from assistant.errors import AuthenticationError, BackendUnavailableError, RejectedError
from assistant.models import Message, OutgoingMessage
from connectors.matrix import MatrixConnector
from connectors.ports import DirectoryPort, MessagingPort
from tests.connectors.matrix.helpers import context, matrix_config, room_bodies
from tests.servers.net import free_port
from tests.servers.synapse import MatrixUser, SynapseServer, call

pytestmark = [pytest.mark.synapse, pytest.mark.timeout(180)]


def outgoing(recipient: str, body: str, *, to_group: bool = False, **kw: object) -> OutgoingMessage:
    return OutgoingMessage(
        idempotency_key=uuid.uuid4().hex,
        recipient_id=recipient,
        recipient_name="someone",
        body=body,
        to_group=to_group,
        **kw,  # type: ignore[arg-type]
    )


def post_as(synapse: SynapseServer, user: MatrixUser, room_id: str, body: str) -> str:
    reply = call(
        synapse,
        user,
        "PUT",
        f"/rooms/{room_id}/send/m.room.message/{uuid.uuid4().hex}",
        {"msgtype": "m.text", "body": body},
    )
    return str(reply["event_id"])


async def test_implements_messaging_and_directory(connector: MatrixConnector) -> None:
    assert isinstance(connector, MessagingPort)
    assert isinstance(connector, DirectoryPort)


async def test_check_authenticates(connector: MatrixConnector, alice: MatrixUser) -> None:
    result = await connector.check()
    assert result.ok
    assert alice.user_id in result.detail


async def test_check_with_a_wrong_token_fails_without_echoing_it(
    synapse: SynapseServer, alice: MatrixUser, tmp_path: Path
) -> None:
    bad = "syt_not_a_real_token_" + uuid.uuid4().hex
    built = MatrixConnector.from_config(
        matrix_config(synapse.url, alice), context(tmp_path, None, {"MATRIX_TOKEN": bad})
    )
    try:
        result = await built.check()
    finally:
        await built.aclose()
    assert not result.ok
    assert "401" in result.detail
    assert bad not in result.detail
    assert bad not in repr(built)


async def test_password_login_on_a_fixed_device(
    synapse: SynapseServer, alice: MatrixUser, tmp_path: Path
) -> None:
    table = matrix_config(synapse.url, alice, password_env="MATRIX_PASSWORD")
    del table["access_token_env"]
    built = MatrixConnector.from_config(
        table, context(tmp_path, None, {"MATRIX_PASSWORD": alice.password})
    )
    try:
        assert (await built.check()).ok
        whoami = await built.client.request("GET", "/account/whoami")
        await built.client.request("POST", "/logout", json={})  # the token dies ...
        assert (await built.check()).ok  # ... and the connector logs in again
    finally:
        await built.aclose()
    assert whoami["device_id"] == "DRIVETALK"


async def test_group_send_is_idempotent_per_key(
    connector: MatrixConnector, synapse: SynapseServer, bob: MatrixUser, group_room: str
) -> None:
    message = outgoing(group_room, "on my way", to_group=True)
    first = await connector.send(message)
    again = await connector.send(message)
    assert first.message_id == again.message_id
    assert first.conversation_id == group_room
    assert room_bodies(synapse, bob, group_room).count("on my way") == 1


async def test_sending_to_a_person_opens_one_direct_room(
    connector: MatrixConnector, synapse: SynapseServer, bob: MatrixUser
) -> None:
    first = await connector.send(outgoing(bob.user_id, "hello Bob"))
    second = await connector.send(outgoing(bob.user_id, "second line"))
    assert first.conversation_id == second.conversation_id
    room_id = first.conversation_id
    call(synapse, bob, "POST", f"/join/{room_id}", {})
    assert room_bodies(synapse, bob, room_id) == ["hello Bob", "second line"]
    conversations = {c.id: c for c in await connector.conversations()}
    assert conversations[room_id].kind == "direct"
    assert conversations[room_id].name == "Bob Builder"


async def test_conversations_name_group_rooms(
    connector: MatrixConnector, group_room: str, alice: MatrixUser, bob: MatrixUser
) -> None:
    [room] = [c for c in await connector.conversations() if c.id == group_room]
    assert room.name == "Project Apollo"
    assert room.kind == "group"
    assert set(room.member_ids) == {alice.user_id, bob.user_id}


async def test_unread_until_marked_read(
    connector: MatrixConnector, synapse: SynapseServer, bob: MatrixUser, group_room: str
) -> None:
    post_as(synapse, bob, group_room, "first")
    post_as(synapse, bob, group_room, "second")
    unread = await connector.unread_messages()
    assert [m.body for m in unread] == ["first", "second"]
    assert {m.sender_name for m in unread} == {"Bob Builder"}
    assert all(m.conversation_name == "Project Apollo" and not m.read for m in unread)
    await connector.mark_read([unread[-1].id])
    assert await connector.unread_messages() == []
    post_as(synapse, bob, group_room, "third")
    assert [m.body for m in await connector.unread_messages()] == ["third"]


async def test_my_own_reply_counts_as_read(
    connector: MatrixConnector, synapse: SynapseServer, bob: MatrixUser, group_room: str
) -> None:
    event_id = post_as(synapse, bob, group_room, "are you coming?")
    [question] = await connector.unread_messages()
    assert question.id == f"{group_room}/{event_id}"
    await connector.send(outgoing(group_room, "yes", to_group=True, in_reply_to=question.id))
    assert await connector.unread_messages() == []
    recent = await connector.recent_messages(group_room, limit=10)
    assert [m.body for m in recent] == ["are you coming?", "yes"]
    assert all(m.read for m in recent)


async def test_incoming_yields_new_messages_until_closed(
    connector: MatrixConnector, synapse: SynapseServer, bob: MatrixUser, group_room: str
) -> None:
    post_as(synapse, bob, group_room, "old news")
    received: list[Message] = []

    async def listen() -> None:
        async for message in connector.incoming():
            received.append(message)
            if message.body == "fresh":
                await connector.aclose()

    listener = asyncio.create_task(listen())
    await asyncio.sleep(1.0)  # let incoming() take its starting position
    await asyncio.to_thread(post_as, synapse, bob, group_room, "fresh")
    await asyncio.wait_for(listener, timeout=60)
    assert [m.body for m in received] == ["fresh"]
    assert received[0].sender_id == bob.user_id


async def test_incoming_joins_invites_from_new_direct_chats(
    connector: MatrixConnector, synapse: SynapseServer, alice: MatrixUser, bob: MatrixUser
) -> None:
    received: list[Message] = []

    async def listen() -> None:
        async for message in connector.incoming():
            received.append(message)
            await connector.aclose()

    listener = asyncio.create_task(listen())
    await asyncio.sleep(1.0)
    room = call(synapse, bob, "POST", "/createRoom", {"is_direct": True, "invite": [alice.user_id]})
    room_id = str(room["room_id"])
    for _ in range(100):  # wait until the connector has joined, then talk
        members = call(synapse, bob, "GET", f"/rooms/{room_id}/joined_members")["joined"]
        if alice.user_id in members:  # type: ignore[operator]
            break
        await asyncio.sleep(0.2)
    await asyncio.to_thread(post_as, synapse, bob, room_id, "ping")
    await asyncio.wait_for(listener, timeout=60)
    assert [m.body for m in received] == ["ping"]


async def test_directory_search_and_paged_listing(
    connector: MatrixConnector, bob: MatrixUser, group_room: str
) -> None:
    unique = bob.user_id.removeprefix("@").split(":")[0]  # other tests register Bobs too
    found = await connector.search_contacts(unique)
    assert [(c.id, c.name) for c in found] == [(bob.user_id, "Bob Builder")]
    ids: list[str] = []
    cursor = None
    while True:
        page = await connector.list_contacts(cursor, page_size=1)
        ids.extend(c.id for c in page.contacts)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(ids) == sorted([bob.user_id, group_room])


async def test_bad_inputs_are_rejected(connector: MatrixConnector) -> None:
    with pytest.raises(RejectedError):
        await connector.send(outgoing("bob", "no such recipient"))
    with pytest.raises(RejectedError):
        await connector.mark_read(["not-a-message-id"])
    with pytest.raises(RejectedError):
        await connector.list_contacts("page-two")
    with pytest.raises(RejectedError):
        await connector.recent_messages("!nosuchroom:localhost")


async def test_a_room_i_am_not_in_is_refused(
    connector: MatrixConnector, synapse: SynapseServer
) -> None:
    stranger = synapse.register("carol")
    room = call(synapse, stranger, "POST", "/createRoom", {"name": "private"})
    with pytest.raises(AuthenticationError, match="403"):
        await connector.send(outgoing(str(room["room_id"]), "let me in", to_group=True))


async def test_unreachable_homeserver_is_unavailable(alice: MatrixUser, tmp_path: Path) -> None:
    table = matrix_config(f"http://127.0.0.1:{free_port()}", alice)
    async with httpx.AsyncClient() as http:
        built = MatrixConnector.from_config(
            table, context(tmp_path, http, {"MATRIX_TOKEN": alice.access_token})
        )
        with pytest.raises(BackendUnavailableError):
            await built.send(outgoing("!room:localhost", "hello", to_group=True))
        assert not (await built.check()).ok
