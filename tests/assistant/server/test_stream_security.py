"""The WebSocket stream under attack, on a real uvicorn with the Korean vosk model.

Specification: a stream ends (``key_revoked``, 4401) once its key is revoked,
by ``drivetalk keys revoke`` in another process too; a silent stream ends
(``idle_timeout``, 4408); typed turns pay ``rate_per_key`` (a flood is answered,
not cut off as a client that does not read); JSON nested too
deep is a ``malformed_message`` error and the stream goes on; a frame
carrying more seconds than ``frame_seconds`` is refused before conversion;
conversion runs off the event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from assistant.audio.convert import PcmConverter
from assistant.config import ServerLimits, ServerSettings, TTSSettings
from assistant.server import stream
from assistant.server.app import create_app
from assistant.server.ratelimit import RateLimiter
from tests.assistant.server.live import Live, make_key, serve, server_settings
from tests.assistant.server.test_stream import close_code, events_until, next_event

pytestmark = [pytest.mark.vosk, pytest.mark.slow]

FORMAT_16K = {"rate": 16000, "channels": 1, "sample": "s16le"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    settings = server_settings(
        tmp_path_factory.mktemp("wsec"),
        tts=TTSSettings(enabled=False),
        server=ServerSettings(limits=ServerLimits(sessions_per_key=20, frame_seconds=2.0)),
    )
    with serve(create_app(settings)) as running:
        yield running


def new_key(live: Live, vehicle: str) -> str:
    return make_key(live.app.state.server.settings, "acme", vehicle)


@contextmanager
def open_stream(
    live: Live, key: str, fmt: dict[str, Any] = FORMAT_16K
) -> Iterator[ClientConnection]:
    """A new session of ``key`` and its stream, started and ready."""
    auth = {"Authorization": f"Bearer {key}"}
    created = httpx.post(f"{live.url}/v1/sessions", headers=auth, json={"audio": False}, timeout=60)
    assert created.status_code == 201, created.text
    with connect(
        f"{live.ws_url}/v1/sessions/{created.json()['id']}/stream",
        additional_headers=auth,
        open_timeout=30,
        max_size=None,
    ) as ws:
        ws.send(json.dumps({"type": "start", "format": fmt}))
        assert next_event(ws)["type"] == "ready"
        yield ws


def error_event(ws: ClientConnection) -> dict[str, Any]:
    while (event := next_event(ws))["type"] != "error":
        pass
    return event


def test_a_key_revoked_by_another_process_ends_its_open_stream(live: Live) -> None:
    key = new_key(live, "car-revoked")
    settings = live.app.state.server.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIVETALK_")}
    env.update(DRIVETALK_DATA_DIR=str(settings.data_dir), XDG_CONFIG_HOME=str(settings.data_dir))
    with open_stream(live, key) as ws:
        revoked = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "keys", "revoke", key.split("_")[1]],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert revoked.returncode == 0, revoked.stderr
        assert error_event(ws)["code"] == "key_revoked"
        assert close_code(ws) == 4401


def test_a_silent_stream_times_out(tmp_path: Path) -> None:
    settings = server_settings(
        tmp_path,
        tts=TTSSettings(enabled=False),
        server=ServerSettings(stream_idle_seconds=1.0),
    )
    with serve(create_app(settings)) as running:
        key = make_key(settings, "acme", "car-idle")
        with open_stream(running, key) as ws:
            assert error_event(ws)["code"] == "idle_timeout"
            assert close_code(ws) == 4408


def test_typed_turns_over_the_socket_pay_the_keys_rate(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Five tokens, no refill to speak of: the session and the handshake take two.
    monkeypatch.setattr(live.app.state.server, "limiter", RateLimiter(rate=0.001, burst=5))
    with open_stream(live, new_key(live, "car-rate")) as ws:
        for _ in range(300):  # a flood: the client reads, so it is answered, not cut off
            ws.send(json.dumps({"type": "text", "text": "help"}))
        # Each accepted turn gives an intent and a reply; each refused one an error.
        seen = [next_event(ws) for _ in range(303)]
    kinds = [e["type"] if e["type"] != "error" else e["code"] for e in seen]
    assert sorted(set(kinds)) == ["intent", "rate_limited", "reply"]
    assert (kinds.count("reply"), kinds.count("rate_limited")) == (3, 297)


@pytest.mark.parametrize(
    ("depth", "code"),
    [
        (16, "malformed_message"),  # the object and 16 arrays: one level over json_depth
        (5_000, "malformed_message"),  # past Python's recursion limit
        (100_000, "message_too_large"),  # 200,000 characters: not even parsed
    ],
)
def test_json_nested_too_deep_is_an_error_event_and_the_stream_goes_on(
    live: Live, depth: int, code: str
) -> None:
    nested = '{"type": "text", "text": ' + "[" * depth + "]" * depth + "}"
    with open_stream(live, new_key(live, f"car-deep-{depth}")) as ws:
        ws.send(nested)
        assert error_event(ws)["code"] == code
        ws.send(json.dumps({"type": "text", "text": "help"}))
        assert events_until(ws, "reply")[-1]["text"]


def test_a_frame_is_bounded_by_its_seconds_of_audio_not_only_its_bytes(live: Live) -> None:
    u8_at_1khz = {"rate": 1000, "channels": 1, "sample": "u8"}
    with open_stream(live, new_key(live, "car-frame"), u8_at_1khz) as ws:
        ws.send(b"\x80" * 64 * 1024)  # 64 KiB, but 65 s of audio: 1M samples at 16 kHz
        event = error_event(ws)
        assert event["code"] == "frame_too_long"
        assert close_code(ws) == 4400


def test_conversion_runs_off_the_event_loop(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    on_loop: list[bool] = []

    class Spy(PcmConverter):
        def convert(self, data: bytes) -> bytes:
            try:
                asyncio.get_running_loop()
                on_loop.append(True)
            except RuntimeError:
                on_loop.append(False)
            return super().convert(data)

    monkeypatch.setattr(stream, "PcmConverter", Spy)
    with open_stream(live, new_key(live, "car-convert")) as ws:
        for _ in range(3):
            ws.send(b"\0" * 3200)
        ws.send(json.dumps({"type": "ping"}))
        assert next_event(ws)["type"] == "pong"
    assert on_loop == [False, False, False]
