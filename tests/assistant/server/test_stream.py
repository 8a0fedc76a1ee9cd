"""The WebSocket stream on a real uvicorn with the Korean vosk model and espeak-ng.

Specification: a start message declares the PCM format (and carries the key
when the upgrade had no Authorization header); binary frames carry PCM; the
server answers with JSON events and the reply as a binary WAV frame. Every
protocol violation gets an ``error`` event and, when fatal, a 4xxx close.
"""

from __future__ import annotations

import io
import json
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from assistant.config import ServerLimits, ServerSettings
from assistant.server.app import create_app
from tests.assistant.server.live import (
    OPERATOR_ENV,
    OPERATOR_TOKEN,
    Live,
    make_key,
    serve,
    server_settings,
)

pytestmark = [pytest.mark.vosk, pytest.mark.espeak, pytest.mark.slow]

LIMITS = ServerLimits(frame_rate=60, sessions_per_key=20, audio_seconds=10, send_queue=16)
FORMAT_22K = {"rate": 22050, "channels": 1, "sample": "s16le"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """The server on each engine: SQLite files, or sessions and outbox in PostgreSQL."""
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres").create_database()
    settings = server_settings(
        tmp_path_factory.mktemp("stream"), server=ServerSettings(limits=LIMITS, database_url=url)
    )
    with serve(create_app(settings, env=OPERATOR_ENV)) as running:
        yield running


@pytest.fixture(scope="module")
def keys(live: Live) -> dict[str, str]:
    settings = live.app.state.server.settings
    return {
        "a": make_key(settings, "acme", "car-1"),
        "b": make_key(settings, "globex", "car-1"),
    }


@pytest.fixture
def session(live: Live, keys: dict[str, str]) -> Iterator[str]:
    headers = {"Authorization": f"Bearer {keys['a']}"}
    with httpx.Client(base_url=live.url, headers=headers, timeout=60) as http:
        created = http.post("/v1/sessions", json={"audio": True})
        assert created.status_code == 201, created.text
        yield created.json()["id"]
        http.delete(f"/v1/sessions/{created.json()['id']}")


def open_stream(live: Live, session: str, key: str | None) -> ClientConnection:
    headers = {"Authorization": f"Bearer {key}"} if key else None
    return connect(
        f"{live.ws_url}/v1/sessions/{session}/stream",
        additional_headers=headers,
        open_timeout=30,
        max_size=None,
    )


def start(ws: ClientConnection, **fields: Any) -> dict[str, Any]:
    ws.send(json.dumps({"type": "start", "format": FORMAT_22K, **fields}))
    return next_event(ws)


def next_event(ws: ClientConnection, timeout: float = 60) -> dict[str, Any]:
    """The next JSON event (binary frames are returned as {'type': 'audio', ...})."""
    frame = ws.recv(timeout=timeout)
    if isinstance(frame, bytes):
        return {"type": "audio", "bytes": frame}
    data: dict[str, Any] = json.loads(frame)
    return data


def events_until(ws: ClientConnection, last: str, timeout: float = 90) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["type"] != last:
        seen.append(next_event(ws, max(1.0, deadline - time.monotonic())))
    return seen


def pcm_of(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (22050, 1, 2)
        return wav.readframes(wav.getnframes())


def send_pcm(ws: ClientConnection, pcm: bytes, frame_ms: int = 100, pace: float = 0.02) -> None:
    step = 22050 * 2 * frame_ms // 1000
    for offset in range(0, len(pcm), step):
        ws.send(pcm[offset : offset + step])
        time.sleep(pace)  # about 50 frames a second, under the frame-rate limit


def close_code(ws: ClientConnection, timeout: float = 30) -> int | None:
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ws.recv(timeout=max(0.1, deadline - time.monotonic()))
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        return None
    return None


# -- the happy paths ------------------------------------------------------------


def test_spoken_utterance_gives_partials_final_intent_reply_and_audio(
    live: Live, keys: dict[str, str], session: str, korean_wav: Path
) -> None:
    with open_stream(live, session, keys["a"]) as ws:
        assert start(ws, mode="vad")["type"] == "ready"
        send_pcm(ws, pcm_of(korean_wav))
        events = events_until(ws, "reply")
        assert events[-1]["audio"] is True
        events.append(next_event(ws))
    kinds = [e["type"] for e in events]
    assert kinds.index("speech_started") < kinds.index("partial") < kinds.index("speech_ended")
    assert kinds[kinds.index("speech_ended") :] == [
        "speech_ended",
        "final",
        "intent",
        "reply",
        "audio",
    ]
    final = events[kinds.index("final")]
    assert final["text"].strip()
    assert final["alternatives"][0]["text"] == final["text"]
    assert final["continues"] is False  # the stream's first utterance continues nothing
    reply = events[kinds.index("reply")]
    assert reply["text"]
    assert reply["audio"] is True
    with wave.open(io.BytesIO(events[-1]["bytes"])) as wav:
        assert wav.getnframes() > 0


def test_speech_event_times_count_from_the_start_of_the_stream(
    live: Live, keys: dict[str, str], session: str, korean_wav: Path
) -> None:
    pcm = pcm_of(korean_wav)
    seconds = len(pcm) / 2 / 22050
    with open_stream(live, session, keys["a"]) as ws:
        assert start(ws, mode="vad")["type"] == "ready"
        send_pcm(ws, pcm + pcm)  # the same utterance twice, back to back
        first = events_until(ws, "speech_ended")
        second = events_until(ws, "speech_ended")
    starts = [e["time"] for e in first + second if e["type"] == "speech_started"]
    ends = [e["time"] for e in first + second if e["type"] == "speech_ended"]
    # Each copy has 0.5 s of silence before its speech: the second utterance's
    # times are past the first copy, not counted from its own listening window.
    assert 0.5 <= starts[0] < ends[0] < seconds
    assert seconds + 0.5 <= starts[1] < ends[1] < 2 * seconds
    assert starts[1] - seconds == pytest.approx(starts[0], abs=0.1)


def test_push_to_talk_with_the_key_in_the_start_message(
    live: Live, keys: dict[str, str], session: str, korean_wav: Path
) -> None:
    with open_stream(live, session, key=None) as ws:
        assert start(ws, mode="push_to_talk", key=keys["a"])["type"] == "ready"
        send_pcm(ws, pcm_of(korean_wav)[: 22050 * 2 * 2])  # the first two seconds
        ws.send(json.dumps({"type": "end"}))
        kinds = [e["type"] for e in events_until(ws, "reply")]
    assert "final" in kinds
    assert "intent" in kinds
    assert kinds[kinds.index("speech_ended") - 1] != "error"


def test_a_typed_turn_over_the_socket(live: Live, keys: dict[str, str], session: str) -> None:
    with open_stream(live, session, keys["a"]) as ws:
        start(ws)
        ws.send(json.dumps({"type": "text", "text": "what's on my calendar tomorrow"}))
        events = events_until(ws, "reply")
    intent = next(e for e in events if e["type"] == "intent")
    assert intent["intent"] == "query_calendar"
    assert events[-1]["text"]


# -- bad input ------------------------------------------------------------------


def test_malformed_json_is_reported_and_the_stream_goes_on(
    live: Live, keys: dict[str, str], session: str
) -> None:
    with open_stream(live, session, keys["a"]) as ws:
        start(ws)
        for bad, code in [
            ("{oops", "malformed_json"),
            ("[1, 2]", "malformed_message"),
            ('{"type": "dance"}', "unknown_message"),
            ('{"type": "text", "text": ""}', "bad_text"),
        ]:
            ws.send(bad)
            event = next_event(ws)
            assert (event["type"], event["code"]) == ("error", code)
        ws.send(json.dumps({"type": "text", "text": "help"}))
        assert events_until(ws, "reply")[-1]["text"]


@pytest.mark.parametrize(
    ("first", "code", "close"),
    [
        (b"\x00\x01" * 100, "expected_start", 4400),
        ('{"type": "text", "text": "hi"}', "expected_start", 4400),
        ("not json", "malformed_json", 4400),
        ('{"type": "start", "format": {"rate": 7, "channels": 1}}', "bad_format", 4400),
        ('{"type": "start", "format": {"rate": 16000, "sample": "mp3"}}', "bad_format", 4400),
        ('{"type": "start", "format": {"rate": "16k"}}', "bad_format", 4400),
        ('{"type": "start", "format": {"rate": 16000}, "mode": "x"}', "bad_mode", 4400),
    ],
)
def test_a_bad_start_is_refused(
    live: Live, keys: dict[str, str], session: str, first: str | bytes, code: str, *, close: int
) -> None:
    with open_stream(live, session, keys["a"]) as ws:
        ws.send(first)
        event = next_event(ws)
        assert (event["type"], event["code"]) == ("error", code)
        assert close_code(ws) == close


def test_missing_bad_or_foreign_keys_are_refused(
    live: Live, keys: dict[str, str], session: str
) -> None:
    with open_stream(live, session, key=None) as ws:
        assert start(ws)["code"] == "unauthorized"
        assert close_code(ws) == 4401
    with open_stream(live, session, key="dtk_000000000000_" + "x" * 43) as ws:
        assert start(ws)["code"] == "unauthorized"
        assert close_code(ws) == 4401
    with open_stream(live, session, keys["b"]) as ws:  # another tenant: no such session
        assert start(ws)["code"] == "session_not_found"
        assert close_code(ws) == 4404


def test_a_frame_that_is_not_whole_samples_closes_the_stream(
    live: Live, keys: dict[str, str], session: str
) -> None:
    with open_stream(live, session, keys["a"]) as ws:
        start(ws)
        ws.send(b"\x00\x01\x02")
        event = next_event(ws)
        assert (event["type"], event["code"]) == ("error", "bad_frame")
        assert close_code(ws) == 4400


def test_too_many_frames_a_second_closes_the_stream(
    live: Live, keys: dict[str, str], session: str
) -> None:
    with open_stream(live, session, keys["a"]) as ws:
        start(ws)
        try:
            for _ in range(int(LIMITS.frame_rate) * 3):
                ws.send(b"\x00\x00" * 32)
        except ConnectionClosed:
            pass  # the server may close before the client has sent them all
        events = events_until(ws, "error")
        assert events[-1]["code"] == "frame_rate_exceeded"
        assert close_code(ws) == 4429


# -- clients that misbehave ------------------------------------------------------


def asr_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("drivetalk-asr"))


def test_a_disconnect_mid_utterance_leaves_the_session_usable(
    live: Live, keys: dict[str, str], session: str, korean_wav: Path
) -> None:
    before = asr_threads()
    with open_stream(live, session, keys["a"]) as ws:
        start(ws)
        send_pcm(ws, pcm_of(korean_wav)[: 22050 * 2 * 2])  # speech started, not ended
        assert "speech_started" in [e["type"] for e in events_until(ws, "partial")]
    deadline = time.monotonic() + 30
    while asr_threads() > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert asr_threads() <= before  # the recognizer of the cut utterance was freed
    with open_stream(live, session, keys["a"]) as ws:  # not stuck "already streaming"
        assert start(ws)["type"] == "ready"
        ws.send(json.dumps({"type": "text", "text": "help"}))
        assert events_until(ws, "reply")[-1]["text"]


def test_a_client_that_stops_reading_is_disconnected(
    live: Live, keys: dict[str, str], session: str
) -> None:
    registry = live.app.state.server.metrics.registry

    def hung_up() -> bool:
        return bool(
            registry.get_sample_value("drivetalk_rejections_total", {"code": "slow_consumer"})
        )

    with open_stream(live, session, keys["a"]) as ws:
        start(ws)
        # Ask for spoken replies (WAV frames) and never read them: once the
        # socket buffers are full the bounded send queue fills and the server
        # hangs up instead of buffering without end.
        deadline = time.monotonic() + 180
        while not hung_up() and time.monotonic() < deadline:
            try:
                ws.send(json.dumps({"type": "text", "text": "help"}))
            except ConnectionClosed:
                break
            time.sleep(0.1)
        assert hung_up()
    text = httpx.get(
        f"{live.url}/metrics", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}, timeout=30
    ).text
    assert 'drivetalk_rejections_total{code="slow_consumer"}' in text


def test_nan_samples_in_a_float_stream_close_it_with_bad_audio(
    live: Live, keys: dict[str, str], session: str
) -> None:
    import struct

    with open_stream(live, session, keys["a"]) as ws:
        start_f32 = {"rate": 16000, "channels": 1, "sample": "f32le"}
        ws.send(json.dumps({"type": "start", "format": start_f32}))
        assert next_event(ws)["type"] == "ready"
        ws.send(struct.pack("<4f", 0.1, float("nan"), 0.2, 0.3))
        event = next_event(ws)
        assert (event["type"], event["code"]) == ("error", "bad_audio")
        assert close_code(ws) == 4415


def test_a_rest_text_turn_carries_the_reply_as_base64_wav(
    live: Live, keys: dict[str, str], session: str
) -> None:
    import base64

    response = httpx.post(
        f"{live.url}/v1/sessions/{session}/turns/text",
        headers={"Authorization": f"Bearer {keys['a']}"},
        json={"text": "help"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    audio = response.json()["reply_audio"]
    with wave.open(io.BytesIO(base64.b64decode(audio["wav_base64"]))) as wav:
        assert wav.getframerate() == audio["sample_rate"]
        assert abs(wav.getnframes() / wav.getframerate() - audio["duration"]) < 0.01
