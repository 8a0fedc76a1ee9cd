"""The WebSocket stream in ``vad`` mode with a wake phrase (real uvicorn, Korean model).

Specification: with ``"wake": true`` in the start message (or ``[wake]
enabled``), speech is ignored until the wake phrase, which the server
announces with a ``wake`` event; the next utterance is a turn as usual.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.asr.wake import WakePhrase
from assistant.config import ServerLimits, ServerSettings, WakeSettings
from assistant.server.app import create_app
from tests.assistant.audio.wavgen import spoken_sequence
from tests.assistant.server.live import Live, make_key, serve, server_settings
from tests.assistant.server.test_stream import (
    close_code,
    events_until,
    next_event,
    open_stream,
    pcm_of,
    send_pcm,
    start,
)

pytestmark = [pytest.mark.vosk, pytest.mark.espeak, pytest.mark.slow]

KO = WakePhrase.for_locale("ko")
LIMITS = ServerLimits(frame_rate=60, sessions_per_key=20, audio_seconds=10, send_queue=64)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    settings = server_settings(
        tmp_path_factory.mktemp("wake"),
        server=ServerSettings(limits=LIMITS),
        wake=WakeSettings(phrase=KO.phrase, fillers=KO.fillers),
    )
    with serve(create_app(settings)) as running:
        yield running


@pytest.fixture(scope="module")
def key(live: Live) -> str:
    return make_key(live.app.state.server.settings, "acme", "car-9")


@pytest.fixture(scope="module")
def drive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A passenger chat, the wake phrase, a command: 22.05 kHz mono, pauses between."""
    parts = [("안녕하세요 오늘 날씨가 좋네요", 1.5), (KO.phrase, 0.6), ("아니요", 1.5)]
    return spoken_sequence(tmp_path_factory.mktemp("drive"), parts, before_each=0.5)


def _session(live: Live, key: str) -> str:
    import httpx

    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {key}"}) as http:
        created = http.post("/v1/sessions", json={"audio": False})
        assert created.status_code == 201, created.text
        return str(created.json()["id"])


def test_only_the_command_after_the_wake_phrase_is_a_turn(
    live: Live, key: str, drive: Path
) -> None:
    with open_stream(live, _session(live, key), key) as ws:
        assert start(ws, mode="vad", wake=True)["type"] == "ready"
        send_pcm(ws, pcm_of(drive))
        events = events_until(ws, "reply")
    kinds = [e["type"] for e in events]
    assert kinds.count("wake") == 1
    woke = kinds.index("wake")
    # Nothing of the passenger chat reached the client or the dialog.
    assert "final" not in kinds[:woke]
    assert "partial" not in kinds[:woke]
    assert events[woke]["phrase"] == KO.phrase
    assert kinds.count("final") == 1
    assert kinds.index("speech_started") > woke
    assert events[kinds.index("speech_started")]["time"] > events[woke]["time"]


def test_without_the_wake_phrase_every_utterance_is_a_turn(
    live: Live, key: str, drive: Path
) -> None:
    with open_stream(live, _session(live, key), key) as ws:
        assert start(ws, mode="vad")["type"] == "ready"  # [wake] enabled is off here
        send_pcm(ws, pcm_of(drive))
        events = events_until(ws, "reply")
        events += events_until(ws, "reply")
    assert "wake" not in [e["type"] for e in events]
    assert [e["type"] for e in events].count("final") == 2


def test_a_wake_that_is_not_a_boolean_is_refused(live: Live, key: str) -> None:
    with open_stream(live, _session(live, key), key) as ws:
        ws.send(json.dumps({"type": "start", "format": {"rate": 16000}, "wake": "yes"}))
        error = next_event(ws)
        assert error["type"] == "error"
        assert error["code"] == "bad_wake"
        assert close_code(ws) == 4400
