"""Admission control: decisions from data, and ``busy`` on a real server.

Specification: new real-time work (a session, a stream, an audio upload) is
refused at once with ``503 busy`` and ``Retry-After`` when the admitted
streams and uploads reach ``max_active`` or more utterances wait for a
speech decoder than ``max_decoder_waiting`` (-1: the pool's size); work
already admitted goes on, and a slot freed is usable again at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from assistant.asr.pool import RecognizerPool
from assistant.config import AdmissionSettings, ServerSettings, load_settings
from assistant.errors import ConfigError, RequestRejectedError
from assistant.server.admission import Admission, DecoderLoad, decoder_load
from assistant.server.app import create_app
from tests.assistant.server.live import (
    OPERATOR_ENV,
    OPERATOR_TOKEN,
    Live,
    make_key,
    serve,
    server_settings,
)

CASES = yaml.safe_load((Path(__file__).parent / "data" / "admission.yaml").read_text())


@dataclass
class Engine:
    """Anything with a decoder pool, as a loaded transcriber has."""

    pool: RecognizerPool[object]


def engine_with(size: int, busy: int, waiting: int) -> Engine:
    """A real pool with ``busy`` recognizers lent out and ``waiting`` callers queued."""
    pool: RecognizerPool[object] = RecognizerPool(object, size)
    for _ in range(busy):
        assert pool.try_acquire() is not None
    for _ in range(waiting):
        assert pool.enqueue().waiting
    return Engine(pool)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_admission_decisions(case: dict[str, Any]) -> None:
    engine = engine_with(*case["pool"]) if case["pool"] else None
    admission = Admission(AdmissionSettings(**case["settings"]), lambda: decoder_load(engine))
    for _ in range(case["active"]):
        admission._active += 1  # work admitted earlier and still running
    refused = admission.refusal()
    if case["refused"] is None:
        assert refused is None
        return
    assert refused is not None
    assert (refused.status, refused.code, refused.retry_after) == (503, "busy", 2)
    assert case["refused"] in str(refused)


def test_capacity_is_streams_per_core_unless_set() -> None:
    idle = DecoderLoad()
    assert Admission(AdmissionSettings(streams_per_core=6), lambda: idle, cores=2).capacity == 12
    assert Admission(AdmissionSettings(streams_per_core=0.2), lambda: idle, cores=2).capacity == 1
    assert Admission(AdmissionSettings(max_active=5), lambda: idle, cores=64).capacity == 5


def test_the_default_capacity_is_the_measured_two_streams_per_core() -> None:
    # BENCHMARKS.md, "Streams per core at reply p95 <= 1 s": 2.0 on the CI machine.
    assert Admission(AdmissionSettings(), DecoderLoad, cores=2).capacity == 4
    assert Admission(AdmissionSettings(), DecoderLoad, cores=16).capacity == 32


def test_a_slot_is_held_for_the_block_and_freed_even_on_error() -> None:
    admission = Admission(AdmissionSettings(max_active=1), DecoderLoad)
    with admission.admit():
        assert admission.active == 1
        with pytest.raises(RequestRejectedError, match="at capacity"), admission.admit():
            pass
    assert admission.active == 0
    with pytest.raises(ValueError, match="boom"), admission.admit():
        raise ValueError("boom")
    assert admission.active == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_ACTIVE", "-1"),
        ("STREAMS_PER_CORE", "0"),
        ("MAX_DECODER_WAITING", "-2"),
        ("RETRY_AFTER_S", "0"),
        ("RETRY", "1"),
    ],
)
def test_bad_admission_settings_are_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv(f"DRIVETALK_SERVER__ADMISSION__{name}", value)
    with pytest.raises(ConfigError, match=f"server.admission.{name.lower()}"):
        load_settings()


# -- on a real server ------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    settings = server_settings(
        tmp_path_factory.mktemp("admission"),
        server=ServerSettings(admission=AdmissionSettings(max_active=1, retry_after_s=7)),
    )
    with serve(create_app(settings, env=OPERATOR_ENV)) as running:
        yield running


def metric(live: Live, name: str) -> str:
    headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    text = httpx.get(f"{live.url}/metrics", headers=headers, timeout=30).text
    return next(line for line in text.splitlines() if line.startswith(name))


def wait_for(live: Live, line: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while metric(live, line.split(maxsplit=1)[0]) != line:
        assert time.monotonic() < deadline, f"never saw {line}"
        time.sleep(0.05)


@pytest.mark.vosk
@pytest.mark.slow
def test_a_full_server_says_busy_at_once_and_admits_again_when_a_slot_frees(live: Live) -> None:
    key = make_key(live.app.state.server.settings, "acme", "car-1")
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=live.url, headers=headers, timeout=60) as http:
        first = http.post("/v1/sessions").json()["id"]
        second = http.post("/v1/sessions").json()["id"]
        stream = connect(f"{live.ws_url}/v1/sessions/{first}/stream", additional_headers=headers)
        with stream:
            start = {"type": "start", "format": {"rate": 16000, "channels": 1, "sample": "s16le"}}
            stream.send(json.dumps(start))
            assert '"ready"' in str(stream.recv(timeout=60))
            assert metric(live, "drivetalk_admission_active") == "drivetalk_admission_active 1.0"

            refused = http.post("/v1/sessions")
            assert refused.status_code == 503
            assert refused.headers["Retry-After"] == "7"
            assert refused.json()["error"]["code"] == "busy"
            upload = http.post(
                f"/v1/sessions/{second}/turns/audio",
                content=b"RIFF",
                headers={"Content-Type": "audio/wav"},
            )
            assert (upload.status_code, upload.json()["error"]["code"]) == (503, "busy")
            with pytest.raises(InvalidStatus) as denied:
                connect(f"{live.ws_url}/v1/sessions/{second}/stream", additional_headers=headers)
            assert denied.value.response.status_code == 503
            assert denied.value.response.headers["Retry-After"] == "7"
            # A typed turn is not real-time work: it is still answered.
            assert http.post(f"/v1/sessions/{first}/turns/text", json={"text": "help"}).is_success
        wait_for(live, "drivetalk_admission_active 0.0")  # the server saw the stream close
        assert http.post("/v1/sessions").status_code == 201  # and its slot is usable again
    assert 'drivetalk_rejections_total{code="busy"} 3.0' in metric(
        live, 'drivetalk_rejections_total{code="busy"}'
    )
