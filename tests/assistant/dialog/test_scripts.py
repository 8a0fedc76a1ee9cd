"""Conversation scripts (YAML under ``scripts/``) run end to end with a fixed clock.

Each script drives the real parser, dialog engine, runner, outbox and local
store: user turns (optionally after a pause, which fires answer timeouts),
incoming messages, the assistant's expected utterances, and finally the
expected backend state. See ``scripts/README.md`` for the format.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.compose import Session, open_conversation
from assistant.dialog.events import Incoming
from assistant.dialog.sink import ShownAndSpoken
from connectors.local import LocalConnector
from tests.assistant.dialog.script_backends import (
    check_delivered,
    script_receiver,
    script_settings,
)
from tests.conftest import NOW, ZONE
from tests.faults.receiver import Receiver

ISO = re.compile(r"\d{4}-\d{2}-\d{2}|T\d{2}:\d{2}")
SCRIPTS = sorted((Path(__file__).parent / "scripts").glob("*.yaml"))


@dataclass
class FakeClock:
    """The script's clock: fixed, moved only by ``wait`` steps."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Transcript:
    lines: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.lines.append(text)

    def take(self) -> list[str]:
        taken, self.lines = self.lines, []
        return taken


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    assert "turns" in data, f"{path.name}: no turns"
    return data


@pytest.fixture(params=SCRIPTS, ids=[p.stem for p in SCRIPTS])
def script(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load(request.param)


@pytest.fixture
def receiver(script: dict[str, Any]) -> Iterator[Receiver | None]:
    with script_receiver(script) as found:
        yield found


@pytest.fixture
async def session(
    tmp_path: Path,
    script: dict[str, Any],
    receiver: Receiver | None,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Session, FakeClock, Transcript]]:
    clock, transcript = FakeClock(), Transcript()
    settings = script_settings(script, tmp_path, receiver, monkeypatch)
    opened = await open_conversation(
        settings, zone=ZONE, clock=clock, speech=ShownAndSpoken(transcript.say)
    )
    yield opened, clock, transcript
    await opened.aclose()


def store_of(session: Session) -> Any:
    assert isinstance(session.connector, LocalConnector)
    return session.connector.store


async def play_turn(turn: dict[str, Any], session: Session, clock: FakeClock) -> None:
    if "wait" in turn:
        clock.now += timedelta(seconds=float(turn["wait"]))
        await session.runner.tick()
    if "incoming" in turn:
        await session.runner.dispatch(Incoming(arrive(session, turn["incoming"], clock.now)))
    if "user" in turn:
        clock.now += timedelta(seconds=1)  # a spoken turn takes a moment
        said = turn["user"]
        assert isinstance(said, str), (
            f"quote the user turn {said!r} (YAML reads yes/no as booleans)"
        )
        await session.runner.hear(said)


def arrive(session: Session, spec: list[dict[str, Any]], now: datetime) -> tuple:
    """Store messages from colleagues, as a backend push would, and return them."""
    store = store_of(session)
    ids = []
    for item in spec:
        conversation = item.get("conversation") or store.direct_conversation_id(item["from"])
        ids.append(
            store.add_message(
                conversation,
                item["from"],
                item["body"],
                now,
                urgent=bool(item.get("urgent", False)),
            )
        )
    by_id = {m.id: m for m in store.messages(unread_only=True)}
    return tuple(by_id[i] for i in ids)


def check_lines(said: list[str], expected: list[Any], where: str) -> None:
    assert len(said) == len(expected), f"{where}: assistant said {said!r}"
    for line in said:
        assert not ISO.search(line), f"{where}: {line!r} reads out a machine timestamp"
    for line, want in zip(said, expected, strict=True):
        if isinstance(want, dict):
            assert want["contains"] in line, f"{where}: {line!r} lacks {want['contains']!r}"
        else:
            assert line == want, f"{where}: {line!r}"


def sent_since(session: Session, since: datetime) -> list[dict[str, Any]]:
    store = store_of(session)
    me = store.me.id
    found = []
    for conv in store.conversations():
        for m in store.messages(conversation_id=conv.id):
            if m.sender_id == me and m.sent_at >= since:
                found.append(
                    {
                        "to": conv.name,
                        "conversation": conv.id,
                        "body": m.body,
                        "urgent": m.urgent,
                        "at": m.sent_at,
                    }
                )
    return [{k: v for k, v in m.items() if k != "at"} for m in sorted(found, key=lambda m: m["at"])]


def check_backend(
    session: Session, expected: dict[str, Any], receiver: Receiver | None = None
) -> None:
    if receiver is not None:
        check_delivered(receiver, expected)
        assert session.outbox.pending() == []
        return
    assert "delivered" not in expected, "'delivered' is checked against a webhook backend"
    store = store_of(session)
    sent = sent_since(session, NOW)
    assert [{"to": m["to"], "body": m["body"]} for m in sent] == [
        {"to": m["to"], "body": m["body"]} for m in expected.get("sent", [])
    ]
    for want, got in zip(expected.get("sent", []), sent, strict=False):
        assert got["urgent"] == bool(want.get("urgent", False)), got
        assert got["conversation"] == want.get("conversation", got["conversation"]), got
    if "unread" in expected:
        assert len(store.messages(unread_only=True)) == expected["unread"]
    events = store.events(NOW - timedelta(days=1), NOW + timedelta(days=14))
    titles = {e.title for e in events}
    for title, ids in expected.get("attendees", {}).items():
        assert [list(e.attendee_ids) for e in events if e.title == title] == [ids], title
    for title, starts in expected.get("starts", {}).items():
        found = [
            e.start.astimezone(ZONE).strftime("%Y-%m-%d %H:%M") for e in events if e.title == title
        ]
        assert sorted(found) == sorted(starts), title
    assert set(expected.get("calendar_has", [])) <= titles
    assert not set(expected.get("calendar_lacks", [])) & titles
    assert session.outbox.pending() == []


async def test_conversation_script(
    script: dict[str, Any],
    session: tuple[Session, FakeClock, Transcript],
    receiver: Receiver | None,
) -> None:
    opened, clock, transcript = session
    for number, turn in enumerate(script["turns"], 1):
        await play_turn(turn, opened, clock)
        where = f"{script['name']}, turn {number} ({turn.get('user', turn.get('wait', ''))!r})"
        check_lines(transcript.take(), turn.get("expect", []), where)
    check_backend(opened, script.get("backend", {}), receiver)


def test_every_script_has_a_name_and_expectations() -> None:
    for path in SCRIPTS:
        data = load(path)
        assert data.get("name"), path.name
        assert all("expect" in t for t in data["turns"]), path.name
