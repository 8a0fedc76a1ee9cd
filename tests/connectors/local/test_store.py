"""The local store: demo organisation, messages, calendar, durability rules."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from assistant.errors import InputFileError, RejectedError, StorageError
from assistant.models import EventDraft, OutgoingMessage
from connectors.local import LocalStore
from connectors.local.demo import open_demo_store
from tests.conftest import NOW, ZONE


def test_demo_organisation_has_what_the_parser_must_cope_with(demo_store: LocalStore) -> None:
    people = [c for c in demo_store.contacts() if c.kind == "person"]
    groups = [c for c in demo_store.contacts() if c.kind == "group"]
    names = [p.name for p in people]
    assert len(people) >= 30
    assert {"Li Wei", "Li Wen", "Lee Way", "Zhang San"} <= set(names)
    li_weis = [p for p in people if p.name == "Li Wei"]
    assert {p.department for p in li_weis} == {"Sales", "Finance"}
    davids = [p for p in people if p.name.startswith("David ")]
    assert len({d.department for d in davids}) == 2
    assert len(groups) >= 2
    assert demo_store.me.name not in names


def test_unread_messages_are_oldest_first_and_from_others(demo_store: LocalStore) -> None:
    unread = demo_store.messages(unread_only=True)
    assert len(unread) >= 3
    assert [m.sent_at for m in unread] == sorted(m.sent_at for m in unread)
    assert all(m.sender_id != demo_store.me.id and not m.read for m in unread)
    assert all(m.sent_at.tzinfo is not None for m in unread)


def test_a_week_of_meetings_is_seeded_relative_to_now(demo_store: LocalStore) -> None:
    week = demo_store.events(NOW, NOW + timedelta(days=7))
    days = {e.start.date() for e in week}
    assert len(days) >= 5
    assert all(e.start.utcoffset() == timedelta(hours=8) for e in week)


def test_sending_twice_with_one_key_stores_one_message(demo_store: LocalStore) -> None:
    msg = OutgoingMessage("key-1", "u-li-wen", "Li Wen", "running late")
    first = demo_store.send(msg, NOW)
    second = demo_store.send(msg, NOW + timedelta(seconds=5))
    assert first.message_id == second.message_id
    thread = demo_store.messages(conversation_id=first.conversation_id)
    assert [m.body for m in thread] == ["running late"]


def test_sending_to_a_group_uses_the_group_conversation(demo_store: LocalStore) -> None:
    receipt = demo_store.send(
        OutgoingMessage("k2", "g-project-apollo", "Project Apollo", "hi all", to_group=True), NOW
    )
    assert receipt.conversation_id == "g-project-apollo"


def test_sending_to_an_unknown_contact_is_rejected(demo_store: LocalStore) -> None:
    with pytest.raises(RejectedError, match="no contact"):
        demo_store.send(OutgoingMessage("k3", "u-nobody", "Nobody", "hello"), NOW)


def test_mark_read_marks_exactly_the_given_messages(demo_store: LocalStore) -> None:
    unread = demo_store.messages(unread_only=True)
    demo_store.mark_read([unread[0].id])
    still = demo_store.messages(unread_only=True)
    assert [m.id for m in still] == [m.id for m in unread[1:]]


def test_recent_messages_returns_the_newest_in_order(demo_store: LocalStore) -> None:
    conv = demo_store.direct_conversation_id("u-li-wei-sales")
    latest = demo_store.messages(conversation_id=conv, limit=2)
    assert len(latest) == 2
    assert latest[0].sent_at < latest[1].sent_at
    assert latest[1].body.startswith("The client moved")


def test_events_create_list_cancel(demo_store: LocalStore) -> None:
    start = NOW + timedelta(days=1, hours=12)
    event = demo_store.create_event(EventDraft("Dentist", start, start + timedelta(hours=1)))
    assert event in demo_store.events(start, start + timedelta(minutes=1))
    demo_store.cancel_event(event.id)
    assert event not in demo_store.events(start, start + timedelta(hours=1))
    with pytest.raises(RejectedError):
        demo_store.cancel_event(event.id)


def test_an_event_that_ends_before_it_starts_is_rejected(demo_store: LocalStore) -> None:
    with pytest.raises(RejectedError, match="end after"):
        demo_store.create_event(EventDraft("Backwards", NOW, NOW - timedelta(hours=1)))


def test_reopening_keeps_data_and_does_not_reseed(tmp_path: Path) -> None:
    store = open_demo_store(tmp_path, NOW, ZONE)
    store.send(OutgoingMessage("k", "u-li-na", "Li Na", "persisted"), NOW)
    count = len(store.contacts())
    store.close()
    again = open_demo_store(tmp_path, NOW + timedelta(days=3), ZONE)
    try:
        assert len(again.contacts()) == count
        assert any(
            m.body == "persisted"
            for m in again.messages(conversation_id=again.direct_conversation_id("u-li-na"))
        )
    finally:
        again.close()


def test_a_file_that_is_not_a_store_gives_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "drivetalk.sqlite3").write_bytes(b"definitely not sqlite" * 100)
    with pytest.raises(StorageError, match="not a DriveTalk store"):
        LocalStore.open(tmp_path, now=NOW)


def test_a_data_dir_that_is_a_file_gives_an_input_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputFileError, match="cannot open data directory"):
        LocalStore.open(blocker, now=NOW)


def test_writes_are_durable_settings(demo_store: LocalStore) -> None:
    conn = sqlite3.connect(demo_store.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
