"""The WebSocket stream in ``vad`` mode with the English wake phrase (real uvicorn, pocketsphinx).

Specification: with ``"wake": true`` the server ignores speech until the
locale's phrase ("hey drive talk" for ``en``, spotted by the same engine that
hears the commands: here pocketsphinx's English model, the one English engine
on these machines), announces it with a ``wake`` event, and the next
utterance is a turn: recognized, parsed and answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.asr.sphinx_engine import forget_pools
from assistant.asr.wake import WakePhrase
from assistant.config import ServerLimits, ServerSettings, load_settings
from assistant.server.app import create_app
from tests.assistant.audio.wavgen import spoken_sequence
from tests.assistant.server.live import Live, make_key, serve
from tests.assistant.server.test_stream import events_until, open_stream, pcm_of, send_pcm, start

pytest.importorskip("pocketsphinx")

pytestmark = [pytest.mark.espeak, pytest.mark.slow]

EN = WakePhrase.for_locale("en")
LIMITS = ServerLimits(frame_rate=60, sessions_per_key=20, audio_seconds=10, send_queue=64)
#: A passenger, the phrase, a command: each followed by its pause (seconds).
DRIVE = (
    ("let me talk to my sister before we drive home", 1.5),
    (EN.phrase, 0.6),
    ("what's my next meeting", 1.5),
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    base = tmp_path_factory.mktemp("wake-en")
    # The server's own language is Mandarin: the English session's phrase must
    # follow the session's locale (as its transcriber does), not the server's.
    settings = load_settings(
        None,
        data_dir=base,
        locale="zh",
        asr={"engine": "pocketsphinx"},
        connectors={"local": {"seed_demo": True}},
    ).model_copy(update={"server": ServerSettings(limits=LIMITS)})
    # Decoders warmed by other tests' audio hear otherwise (their live
    # normalisation follows that audio): this drive starts from fresh ones.
    forget_pools()
    with serve(create_app(settings)) as running:
        yield running


@pytest.fixture(scope="module")
def drive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The drive in espeak-ng's American English voice, 22.05 kHz mono."""
    return spoken_sequence(
        tmp_path_factory.mktemp("drive-en"), DRIVE, voice="en-us", before_each=0.5
    )


def _english_session(live: Live, key: str) -> str:
    with httpx.Client(
        base_url=live.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as http:
        created = http.post("/v1/sessions", json={"audio": False, "locale": "en"})
        assert created.status_code == 201, created.text
        return str(created.json()["id"])


def test_the_english_command_after_the_phrase_is_heard_and_answered(
    live: Live, drive: Path
) -> None:
    key = make_key(live.app.state.server.settings, "acme", "car-en")
    with open_stream(live, _english_session(live, key), key) as ws:
        assert start(ws, mode="vad", wake=True, locale="en")["type"] == "ready"
        send_pcm(ws, pcm_of(drive))
        events = events_until(ws, "reply")
    kinds = [e["type"] for e in events]
    assert kinds.count("wake") == 1
    woke = kinds.index("wake")
    assert events[woke]["phrase"] == "hey drive talk"
    # The passenger's sentence (with "talk" and "drive" in it) never reached the dialog.
    assert "final" not in kinds[:woke]
    assert "partial" not in kinds[:woke]
    finals = [e for e in events if e["type"] == "final"]
    assert len(finals) == 1
    assert "meeting" in finals[0]["text"]
    intents = [e for e in events if e["type"] == "intent"]
    assert [e["intent"] for e in intents] == ["query_calendar"]
    assert events[-1]["text"].startswith("Next up:")  # the demo calendar's next event
