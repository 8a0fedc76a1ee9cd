"""The runner against the real local backend and outbox: barge-in, recovery, push."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from assistant.compose import Session, open_conversation
from assistant.config import Settings
from assistant.dialog.events import Incoming, Timeout
from assistant.dialog.sink import ShownAndSpoken
from assistant.models import Message, OutgoingMessage
from connectors.local import LocalConnector
from connectors.outbox import OUTBOX_FILE, Outbox
from tests.conftest import NOW, ZONE


class HeldSpeaker:
    """Stands in for the audio device: speech lasts until released or stopped."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.stopped = False
        self.hold = True

    async def say(self, text: str) -> bool:
        self.started.set()
        if not self.hold:
            return True
        await self.release.wait()
        return not self.stopped

    def stop(self) -> None:
        self.stopped = True
        self.release.set()

    async def aclose(self) -> None:
        self.stop()


@pytest.fixture
async def opened(tmp_path: Path) -> AsyncIterator[tuple[Session, list[str]]]:
    said: list[str] = []
    settings = Settings(
        data_dir=tmp_path, connectors={"local": {"poll_interval": 0.05, "seed_demo": True}}
    )
    session = await open_conversation(
        settings, zone=ZONE, clock=lambda: NOW, speech=ShownAndSpoken(said.append)
    )
    yield session, said
    await session.aclose()


def demo_settings(data_dir: Path) -> Settings:
    """Settings whose local store is seeded with the demo organisation, explicitly."""
    return Settings(data_dir=data_dir, connectors={"local": {"seed_demo": True}})


def store(session: Session):  # type: ignore[no-untyped-def]
    assert isinstance(session.connector, LocalConnector)
    return session.connector.store


def outgoing(key: str, recipient_id: str, name: str) -> OutgoingMessage:
    return OutgoingMessage(key, recipient_id, name, "Left at six")


async def test_barge_in_stops_speech_and_leaves_the_message_unread(tmp_path: Path) -> None:
    speaker = HeldSpeaker()
    session = await open_conversation(
        demo_settings(tmp_path),
        zone=ZONE,
        clock=lambda: NOW,
        speech=ShownAndSpoken(voice=speaker),
    )
    try:
        turn = asyncio.create_task(session.runner.hear("read my messages"))
        await asyncio.wait_for(speaker.started.wait(), 30)
        session.runner.barge_in()
        await asyncio.wait_for(turn, 30)
        assert len(store(session).messages(unread_only=True)) == 5  # heard only in part
        speaker.hold = False
        await session.runner.hear("repeat")
        assert len(store(session).messages(unread_only=True)) == 4
    finally:
        await session.aclose()


async def test_a_message_confirmed_before_a_crash_is_delivered_at_start(tmp_path: Path) -> None:
    with Outbox.open(tmp_path / OUTBOX_FILE) as outbox:
        outbox.enqueue(outgoing("k-crash", "u-li-na", "Li Na"))
    said: list[str] = []
    session = await open_conversation(
        demo_settings(tmp_path),
        zone=ZONE,
        clock=lambda: NOW,
        speech=ShownAndSpoken(said.append),
    )
    try:
        await session.runner.start()
        bodies = [m.body for m in store(session).messages(conversation_id="dm-u-li-na")]
        assert bodies.count("Left at six") == 1
        assert said == []
    finally:
        await session.aclose()


async def test_final_delivery_failures_are_told_once(tmp_path: Path) -> None:
    with Outbox.open(tmp_path / OUTBOX_FILE) as outbox:
        outbox.enqueue(outgoing("k-bad", "u-nobody", "Nobody Known"))
    for expected in (["Your earlier message to Nobody Known could not be delivered."], []):
        said: list[str] = []
        session = await open_conversation(
            demo_settings(tmp_path),
            zone=ZONE,
            clock=lambda: NOW,
            speech=ShownAndSpoken(said.append),
        )
        try:
            await session.runner.start()
        finally:
            await session.aclose()
        assert said == expected


async def test_pushed_messages_are_announced(
    opened: tuple[Session, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    session, said = opened
    local = store(session)
    watching = asyncio.Event()
    high_water_mark = local.last_rowid

    def taken() -> int:
        watching.set()
        return high_water_mark()

    # A message stored before incoming() took its high-water mark is old news
    # (never announced): wait for that moment, never a guessed while.
    monkeypatch.setattr(local, "last_rowid", taken)
    watcher = asyncio.create_task(session.runner.watch_incoming())
    try:
        await asyncio.wait_for(watching.wait(), 30)
        local.add_message(local.direct_conversation_id("u-li-na"), "u-li-na", "Lunch?", NOW)
        for _ in range(200):
            if said:
                break
            await asyncio.sleep(0.05)
        assert said == ["New message from Li Na. Want to hear it?"]
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def test_asking_who_offers_the_directory_names_to_the_recognizer(
    opened: tuple[Session, list[str]],
) -> None:
    session, said = opened
    await session.runner.hear("send a message")
    assert said == ["Who should I send it to?"]
    words = session.runner.vocabulary
    assert {"li na", "zhang san", "project apollo", "cancel"} <= set(words)


async def test_after_a_timeout_ends_the_task_the_next_turn_is_a_new_request(
    opened: tuple[Session, list[str]],
) -> None:
    session, _said = opened
    runner = session.runner
    await runner.hear("schedule a meeting")
    assert runner.context.expect.name == "TITLE"
    await runner.dispatch(Timeout(runner.window.turn))
    assert runner.state.task is None
    assert runner.context.expect.name == "ANYTHING"  # no stale "what's it called?"


async def test_messages_are_named_in_the_sessions_language(tmp_path: Path) -> None:
    said: list[str] = []
    settings = Settings(data_dir=tmp_path, locale="zh", connectors={"local": {"seed_demo": True}})
    session = await open_conversation(
        settings, zone=ZONE, clock=lambda: NOW, speech=ShownAndSpoken(said.append)
    )
    try:
        store_ = store(session)
        sent = store_.add_message("g-weekly-ops", "u-zhang-san", "周报交了吗", NOW)
        (message,) = [m for m in store_.messages(unread_only=True) if m.id == sent]
        assert (message.sender_name, message.conversation_name) == ("Zhang San", "Weekly Ops")
        await session.runner.dispatch(Incoming((message,)))
        assert said == ["张三在每周运营里发来一条新消息。要听这条消息吗？"]
        assert "张三" in session.runner.names
    finally:
        await session.aclose()


@pytest.mark.parametrize(
    ("locale", "notice"),
    [
        ("en", "Your message to Li Wei in Sales and Li Na was delivered."),
        ("zh", "给销售部的李伟和李娜的消息已经送达。"),
    ],
)
async def test_delivery_notices_name_the_department_of_people_who_sound_alike(
    tmp_path: Path, locale: str, notice: str
) -> None:
    # Queued while the server was away (the driver was told), delivered at start.
    with Outbox.open(tmp_path / OUTBOX_FILE) as outbox:
        for key, recipient, name in (
            ("k-sales", "u-li-wei-sales", "Li Wei"),
            ("k-li-na", "u-li-na", "Li Na"),
        ):
            outbox.enqueue(outgoing(key, recipient, name))
            outbox.mark_queued(key)
    said: list[str] = []
    settings = demo_settings(tmp_path).model_copy(update={"locale": locale})
    session = await open_conversation(
        settings, zone=ZONE, clock=lambda: NOW, speech=ShownAndSpoken(said.append)
    )
    try:
        await session.runner.start()
    finally:
        await session.aclose()
    assert said == [notice]


class Pushing(LocalConnector):
    """The local backend whose push channel delivers the messages given, then waits."""

    def __init__(self, inner: LocalConnector, pushed: list[Message]) -> None:
        self.__dict__.update(inner.__dict__)
        self._pushed = pushed

    async def incoming(self) -> AsyncIterator[Message]:  # type: ignore[override]
        for item in self._pushed:
            yield item
        await asyncio.Event().wait()


async def test_a_runner_announces_only_the_messages_it_claims(tmp_path: Path) -> None:
    heard = asyncio.Event()
    said: list[str] = []

    def say(text: str) -> None:
        said.append(text)
        heard.set()

    session = await open_conversation(
        demo_settings(tmp_path), zone=ZONE, clock=lambda: NOW, speech=ShownAndSpoken(say)
    )
    try:
        local = store(session)
        ids = [
            local.add_message(local.direct_conversation_id(who), who, "Lunch?", NOW)
            for who in ("u-li-na", "u-zhang-san")
        ]
        pushed = [m for m in local.messages(unread_only=True) if m.id in ids]
        assert isinstance(session.connector, LocalConnector)
        session.runner.connector = Pushing(session.connector, pushed)
        claims: list[str] = []

        async def claim(message: Message) -> bool:  # another copy announced Li Na's
            claims.append(message.sender_id)
            return message.sender_id != "u-li-na"

        session.runner.claim_incoming = claim
        watcher = asyncio.create_task(session.runner.watch_incoming())
        try:
            await heard.wait()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        assert sorted(claims) == ["u-li-na", "u-zhang-san"]
        assert said == ["New message from Zhang San. Want to hear it?"]
    finally:
        await session.aclose()
