"""The local connector implements every port over the store."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.models import EventDraft, OutgoingMessage
from connectors import registry
from connectors.local import LocalConnector
from connectors.local.demo import open_demo_store
from connectors.ports import CalendarPort, Connector, ContactPage, DirectoryPort, MessagingPort
from tests.conftest import NOW, ZONE

#: The table that asks for the demo organisation (an empty store is never seeded otherwise).
SEEDED = {"seed_demo": True}


def _context(tmp_path: Path) -> registry.ConnectorContext:
    return registry.ConnectorContext(data_dir=tmp_path, zone=ZONE, now=lambda: NOW)


async def test_it_implements_every_port(tmp_path: Path) -> None:
    conn = LocalConnector.from_config(SEEDED, _context(tmp_path))
    try:
        for port in (Connector, MessagingPort, CalendarPort, DirectoryPort):
            assert isinstance(conn, port)
        assert not conn.needs_network
        assert (await conn.check()).ok
    finally:
        await conn.aclose()


async def test_send_read_and_calendar_round_trip(tmp_path: Path) -> None:
    conn = LocalConnector.from_config(SEEDED, _context(tmp_path))
    try:
        receipt = await conn.send(OutgoingMessage("k", "u-li-wen", "Li Wen", "on my way"))
        recent = await conn.recent_messages(receipt.conversation_id)
        assert recent[-1].body == "on my way"
        unread = await conn.unread_messages()
        await conn.mark_read([unread[0].id])
        assert len(await conn.unread_messages()) == len(unread) - 1
        start = NOW + timedelta(days=2)
        event = await conn.create_event(EventDraft("Review", start, start + timedelta(hours=1)))
        assert event in await conn.events(start, start + timedelta(hours=1))
        await conn.cancel_event(event.id)
    finally:
        await conn.aclose()


async def test_directory_pages_cover_everyone_once(tmp_path: Path) -> None:
    conn = LocalConnector.from_config(SEEDED, _context(tmp_path))
    try:
        seen, cursor = [], None
        while True:
            page = await conn.list_contacts(cursor, page_size=7)
            seen += [c.id for c in page.contacts]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert sorted(seen) == sorted(c.id for c in conn.store.contacts())
        assert [c.name for c in await conn.search_contacts("li w")] == [
            "Li Wei",
            "Li Wei",
            "Li Wen",
        ]
    finally:
        await conn.aclose()


async def test_incoming_yields_messages_written_after_it_starts(tmp_path: Path) -> None:
    conn = LocalConnector(open_demo_store(tmp_path, NOW, ZONE), poll_interval=0.05)
    stream = conn.incoming()
    try:
        first = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.1)
        conv = conn.store.direct_conversation_id("u-zhang-san")
        conn.store.add_message(conv, "u-zhang-san", "gate is open", NOW)
        message = await asyncio.wait_for(first, timeout=10)
        assert (message.sender_name, message.body) == ("Zhang San", "gate is open")
    finally:
        await stream.aclose()
        await conn.aclose()


async def test_an_empty_store_stays_empty_and_says_how_to_seed_it(tmp_path: Path) -> None:
    conn = LocalConnector.from_config({}, _context(tmp_path))
    try:
        assert conn.store.is_empty
        assert await conn.list_contacts() == ContactPage(())
        note = conn.start_note()
        assert note is not None
        assert "is empty" in note
        assert "drivetalk demo-data" in note
    finally:
        await conn.aclose()


async def test_a_seeded_store_has_nothing_to_say_at_start(tmp_path: Path) -> None:
    conn = LocalConnector.from_config(SEEDED, _context(tmp_path))
    try:
        assert conn.start_note() is None
    finally:
        await conn.aclose()


def test_unknown_config_keys_are_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown key"):
        LocalConnector.from_config({"dat_dir": "/x"}, _context(tmp_path))
