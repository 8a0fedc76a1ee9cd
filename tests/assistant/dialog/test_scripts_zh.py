"""Conversation scripts in Mandarin (YAML under ``scripts_zh/``), run end to end.

The same harness as the English scripts (``test_scripts.py``, format in
``scripts/README.md``) with the session's locale ``zh``: the real Mandarin
parser, the dialog speaking Chinese, the runner, outbox and local store of
the demo organisation. A script may carry ``xfail: <why>`` naming a known
parser gap: it is then expected to fail (strictly, so it is noticed the
moment the gap is closed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.compose import Session, open_conversation
from assistant.dialog.sink import ShownAndSpoken
from tests.assistant.dialog.script_backends import script_receiver, script_settings
from tests.assistant.dialog.test_scripts import (
    FakeClock,
    Transcript,
    check_backend,
    check_lines,
    load,
    play_turn,
)
from tests.conftest import ZONE
from tests.faults.receiver import Receiver

SCRIPTS = sorted((Path(__file__).parent / "scripts_zh").glob("*.yaml"))


def _param(path: Path) -> Any:
    reason = load(path).get("xfail")
    marks = [pytest.mark.xfail(reason=str(reason), strict=True)] if reason else []
    return pytest.param(path, id=path.stem, marks=marks)


@pytest.fixture(params=[_param(p) for p in SCRIPTS])
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
    settings = script_settings(script, tmp_path, receiver, monkeypatch, locale="zh")
    opened = await open_conversation(
        settings, zone=ZONE, clock=clock, speech=ShownAndSpoken(transcript.say)
    )
    yield opened, clock, transcript
    await opened.aclose()


async def test_conversation_script_in_mandarin(
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


def test_every_mandarin_script_has_a_name_and_expectations() -> None:
    assert len(SCRIPTS) >= 20
    for path in SCRIPTS:
        data = load(path)
        assert data.get("name"), path.name
        assert all("expect" in t for t in data["turns"]), path.name


#: Behaviours scripted in both languages: an English script names the same ``flow``.
PAIRED = (
    "open-question",
    "failed-answers",
    "new-command",
    "call",
    "past-time",
    "relative-move",
    "attendees",
)


def test_paired_behaviours_have_an_english_script_too() -> None:
    english = Path(__file__).parent / "scripts"
    covered = {str(load(p).get("flow", "")) for p in sorted(english.glob("*.yaml"))}
    assert set(PAIRED) <= covered, set(PAIRED) - covered


def test_every_flow_and_repair_has_a_mandarin_script() -> None:
    """The English scripts' flows, each covered in Chinese at least once."""
    covered = {str(load(p).get("flow", "")) for p in SCRIPTS}
    wanted = {
        "send", "reply", "read", "read-urgent-group", "contact", "create", "query", "cancel",
        "move", "choice", "correction", "deny-cancel", "repeat-help", "timeout", "announce",
        "unsupported-language", *PAIRED,
    }  # fmt: skip
    assert wanted <= covered, wanted - covered
