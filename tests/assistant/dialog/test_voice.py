"""Speech in: real vosk recognition feeding the dialog (Korean test model).

English models cannot be downloaded here, so the driver speaks Korean to a
Korean model and the English parser understands none of it: the point is
the plumbing (endpointing, constrained grammar from the answer window,
n-best into the parser in context) and that speech in a language DriveTalk
does not speak is never an action: the driver hears which languages it
understands and the question stays open.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from assistant.asr import Listener, VoskTranscriber
from assistant.audio.sources import model_chunks, open_audio
from assistant.compose import open_conversation
from assistant.config import Settings
from assistant.dialog.sink import ShownAndSpoken
from assistant.dialog.voice import listen_loop
from connectors.local import LocalConnector
from tests.conftest import NOW, ZONE

pytestmark = [pytest.mark.vosk, pytest.mark.slow]


async def chunks_of(path: Path, rate: int) -> AsyncIterator[bytes]:
    source = open_audio(path)
    try:
        for chunk in model_chunks(source, rate):
            yield chunk
        for _ in range(20):  # two seconds of silence: the endpointer closes the turn
            yield b"\x00\x00" * (rate // 10)
    finally:
        source.close()


async def test_spoken_answer_reaches_the_dialog_and_is_not_taken_as_yes(
    tmp_path: Path,
    ko: VoskTranscriber,
    speech: dict[str, Path],
) -> None:
    said: list[str] = []
    session = await open_conversation(
        Settings(data_dir=tmp_path, connectors={"local": {"seed_demo": True}}),
        zone=ZONE,
        clock=lambda: NOW,
        speech=ShownAndSpoken(said.append),
        timeouts=False,
    )
    try:
        await session.runner.hear("send a message to Li Na saying I'll be late")
        assert "yes" in session.runner.vocabulary
        await listen_loop(session.runner, Listener(ko), chunks_of(speech["yes"], ko.sample_rate))
        assert said[-1] == "Sorry, I only understand Chinese and English."
        assert "yes" in session.runner.vocabulary  # still waiting for the answer
        assert isinstance(session.connector, LocalConnector)
        mine = [
            m
            for m in session.connector.store.messages(conversation_id="dm-u-li-na")
            if m.sender_id == session.connector.store.me.id and m.sent_at >= NOW
        ]
        assert mine == []
    finally:
        await session.aclose()
