"""Endpointing through road noise, on real (espeak-ng) speech in generated cabin noise.

The scenes are small and deterministic (seeded noise, fixed renders), so
these run in CI in a few seconds; benchmarks/vad_bench.py runs the same
kind of scenes at scale for the figures in BENCHMARKS.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.audio import Boundary, EndpointConfig
from assistant.audio.endpoint import EndpointStream
from assistant.replay.noise import Samples
from assistant.replay.scenes import Scene, build_scene, noise_only
from tests.assistant.audio.wavgen import have_espeak

pytestmark = pytest.mark.skipif(not have_espeak(), reason="espeak-ng not installed")

TABLE = yaml.safe_load((Path(__file__).parent / "data" / "noisy_scenes.yaml").read_text())
RATE = 16000
SENTENCES = ("send a message to Li Wei", "yes", "what is on my calendar tomorrow")
#: Issue 16's target: the end found within 300 ms of the true end.
END_TOLERANCE = 0.3


@pytest.fixture(scope="module")
def utterances() -> list[Samples]:
    from assistant.replay.synth import speak

    return [speak(text, "en-us", 160) for text in SENTENCES]


def _chunks(scene: Scene, chunk_ms: int = 100) -> Iterator[bytes]:
    pcm, step = scene.pcm(), RATE * chunk_ms // 1000 * 2
    return (pcm[i : i + step] for i in range(0, len(pcm), step))


def _segments(boundaries: list[Boundary]) -> list[tuple[float, float, str | None]]:
    """(start, end, reason) of each utterance; ``no_speech`` ends are only quiet."""
    found, start = [], None
    for boundary in boundaries:
        if boundary.kind == "start":
            start = boundary.time
        elif boundary.reason != "no_speech":
            assert start is not None
            found.append((start, boundary.time, boundary.reason))
    return found


def _id(row: dict[str, Any]) -> str:
    return f"{row['vad']}-{row['noise']}-{row['snr']}dB"


@pytest.mark.espeak
@pytest.mark.parametrize("row", TABLE["scenes"], ids=_id)
def test_each_utterance_in_noise_ends_on_silence_near_its_true_end(
    row: dict[str, Any], utterances: list[Samples]
) -> None:
    scene = build_scene(utterances, RATE, noise=row["noise"], snr_db=row["snr"], seed=row["seed"])
    stream = EndpointStream(RATE, EndpointConfig(vad=row["vad"]))
    found = _segments(list(stream.segment(_chunks(scene))))
    assert [reason for *_, reason in found] == ["silence"] * len(scene.spans)
    for (start, end, _), span in zip(found, scene.spans, strict=True):
        assert abs(end - span.end) <= END_TOLERANCE, (start, end, span)
        assert span.start - END_TOLERANCE <= start <= span.end


@pytest.mark.parametrize("row", TABLE["noise_only"], ids=_id)
def test_noise_alone_starts_no_utterance(row: dict[str, Any]) -> None:
    scene = noise_only(row["noise"], row["seconds"], RATE, snr_db=row["snr"], seed=row["seed"])
    stream = EndpointStream(RATE, EndpointConfig(vad=row["vad"]))
    boundaries = list(stream.segment(_chunks(scene)))
    assert [b for b in boundaries if b.kind == "start"] == []
    # Nobody spoke: the stream is a row of leading-silence timeouts, back to back.
    assert {b.reason for b in boundaries} == {"no_speech"}


@pytest.mark.espeak
def test_boundary_times_count_from_the_start_of_the_stream(utterances: list[Samples]) -> None:
    scene = build_scene(utterances, RATE, noise=None, snr_db=None, seed=9, gaps_s=(6.0, 7.0))
    stream = EndpointStream(RATE, EndpointConfig(vad="silero"))
    found = _segments(list(stream.segment(_chunks(scene))))
    # Pauses longer than the 5 s leading-silence limit: later utterances come
    # after no_speech restarts, and their times still count from sample 0.
    assert len(found) == 3
    for (start, end, _), span in zip(found, scene.spans, strict=True):
        assert start == pytest.approx(span.start, abs=0.2)
        assert end == pytest.approx(span.end, abs=END_TOLERANCE)
    assert stream.seconds == pytest.approx(scene.seconds, abs=1 / RATE)


def test_the_noise_floor_keeps_webrtcvad_from_hearing_steady_noise_as_endless_speech() -> None:
    # Steady loud noise alone: webrtcvad by itself calls it speech and never
    # lets go; above the adaptive floor it is nothing.
    scene = noise_only("road", 20, RATE, snr_db=5, seed=21)
    bare = EndpointStream(RATE, EndpointConfig(vad="webrtc", noise_margin_db=0))
    floored = EndpointStream(RATE, EndpointConfig(vad="webrtc"))
    bare_starts = [b for b in bare.segment(_chunks(scene)) if b.kind == "start"]
    floored_starts = [b for b in floored.segment(_chunks(scene)) if b.kind == "start"]
    assert bare_starts
    assert floored_starts == []
