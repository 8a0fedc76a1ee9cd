"""Endpointing with webrtcvad: start, trailing and leading silence, max length, push-to-talk."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from assistant.audio import Boundary, ChunkReader, EndpointConfig, Endpointer, open_audio
from assistant.audio.endpoint import Completeness
from assistant.errors import AudioFormatError, ConfigError
from tests.assistant.audio.wavgen import espeak, have_espeak, silence_then

pytestmark = pytest.mark.skipif(not have_espeak(), reason="espeak-ng not installed")

SILENCE_1S = bytes(16000 * 2)


@pytest.fixture(scope="module")
def padded_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Korean speech with 1 s of silence before and 2 s after."""
    base = tmp_path_factory.mktemp("endpoint")
    speech = espeak("안녕하세요 오늘 날씨가 좋네요", base / "speech.wav")
    return silence_then(base / "padded.wav", speech, 1.0, 2.0)


def _run(path: Path, config: EndpointConfig) -> list[Boundary]:
    endpointer = Endpointer(16000, config)
    found: list[Boundary] = []
    with open_audio(path) as source:
        for chunk in ChunkReader(source, 16000, chunk_ms=100):
            found += endpointer.feed(chunk)
    return found + endpointer.finish()


@pytest.mark.espeak
def test_speech_between_silences_gives_one_start_and_a_silence_end(padded_speech: Path) -> None:
    start, end = _run(padded_speech, EndpointConfig(trailing_silence_ms=600))
    assert start.kind == "start"
    assert 0.8 <= start.time <= 1.4
    assert end.kind == "end"
    assert end.reason == "silence"
    assert 2.5 <= end.time <= 4.0


@pytest.mark.espeak
def test_max_length_cuts_a_long_utterance(padded_speech: Path) -> None:
    start, end = _run(padded_speech, EndpointConfig(max_utterance_s=1.0))
    assert end.reason == "max_length"
    assert end.time - start.time == pytest.approx(1.0, abs=0.05)


@pytest.mark.espeak
def test_push_to_talk_ignores_pauses_and_ends_with_the_stream(padded_speech: Path) -> None:
    start, end = _run(padded_speech, EndpointConfig(push_to_talk=True))
    assert start.time == 0.0
    assert end.reason == "end_of_stream"
    assert end.time == pytest.approx(5.3, abs=0.4)


def test_only_silence_ends_with_no_speech_at_the_leading_limit() -> None:
    endpointer = Endpointer(16000, EndpointConfig(leading_silence_ms=2000))
    found = [b for _ in range(5) for b in endpointer.feed(SILENCE_1S)]
    (end,) = found
    assert (end.kind, end.reason) == ("end", "no_speech")
    assert end.time == pytest.approx(2.0, abs=0.03)
    assert endpointer.done
    assert endpointer.feed(SILENCE_1S) == []


def test_a_stream_that_ends_before_anyone_speaks_is_no_speech() -> None:
    endpointer = Endpointer(16000)
    assert endpointer.feed(SILENCE_1S) == []
    (end,) = endpointer.finish()
    assert (end.kind, end.reason) == ("end", "no_speech")
    assert end.time == pytest.approx(1.0, abs=0.03)


def test_noise_bursts_shorter_than_speech_start_do_not_start_an_utterance() -> None:
    rng = np.random.default_rng(1)
    burst = (rng.normal(0, 0.3, 480) * 32767).astype("<i2").tobytes()  # one 30 ms frame
    endpointer = Endpointer(16000, EndpointConfig())
    assert endpointer.feed(burst + SILENCE_1S) == []
    assert not endpointer.in_speech


@pytest.mark.parametrize(
    "kwargs", [{"vad_aggressiveness": 4}, {"frame_ms": 25}, {"max_utterance_s": 0}]
)
def test_bad_limits_are_config_errors(kwargs: dict[str, int]) -> None:
    with pytest.raises(ConfigError):
        EndpointConfig(**kwargs)  # type: ignore[arg-type]


def test_a_rate_the_vad_cannot_take_is_an_audio_format_error() -> None:
    with pytest.raises(AudioFormatError, match="22050"):
        Endpointer(22050)


def test_limits_come_from_the_asr_settings_and_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from assistant.config import load_settings

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("DRIVETALK_ASR__TRAILING_SILENCE_MS", "600")
    monkeypatch.setenv("DRIVETALK_ASR__PUSH_TO_TALK", "true")
    config = EndpointConfig.from_settings(load_settings().asr)
    assert config.trailing_silence_ms == 600
    assert config.push_to_talk
    assert config.leading_silence_ms == EndpointConfig().leading_silence_ms


@pytest.fixture(scope="module")
def answer_then_more(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short answer, a ~500 ms pause (espeak-ng adds ~300 ms), more speech, 2 s of silence."""
    base = tmp_path_factory.mktemp("early")
    first = silence_then(base / "a.wav", espeak("네", base / "yes.wav"), 0.5, 0.2)
    second = espeak("안녕하세요 오늘 날씨가 좋네요", base / "more.wav")
    joined = base / "joined.wav"
    subprocess.run(["sox", str(first), str(second), str(joined), "pad", "0", "2"], check=True)
    return joined


def _run_hurried(path: Path, config: EndpointConfig, complete: bool) -> list[Boundary]:
    endpointer = Endpointer(16000, config)
    found: list[Boundary] = []
    with open_audio(path) as source:
        for chunk in ChunkReader(source, 16000, chunk_ms=100):
            found += endpointer.feed(chunk)
            if endpointer.in_speech:
                found += endpointer.hurry(complete)
            if endpointer.done:
                break
    return found + endpointer.finish()


@pytest.mark.espeak
def test_a_complete_answer_ends_at_the_short_pause(answer_then_more: Path) -> None:
    start, end = _run_hurried(answer_then_more, EndpointConfig(), complete=True)
    assert end.reason == "silence"
    # It ends in the 500 ms pause after the answer, not after the sentence that follows.
    assert end.time - start.time < 1.2
    assert end.time < 1.2


@pytest.mark.espeak
def test_an_incomplete_answer_keeps_the_long_pause_and_hears_everything(
    answer_then_more: Path,
) -> None:
    _start, end = _run_hurried(answer_then_more, EndpointConfig(), complete=False)
    assert end.reason == "silence"
    assert end.time > 2.5  # the pause was bridged: the second sentence is in the utterance


@pytest.mark.espeak
def test_early_end_does_not_apply_in_push_to_talk(answer_then_more: Path) -> None:
    _start, end = _run_hurried(answer_then_more, EndpointConfig(push_to_talk=True), True)
    assert end.reason == "end_of_stream"


def test_an_early_pause_longer_than_the_trailing_silence_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="early-end pause"):
        EndpointConfig(trailing_silence_ms=300, early_silence_ms=400)


def test_a_closed_answer_pause_longer_than_the_early_pause_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="closed-answer pause"):
        EndpointConfig(early_silence_ms=200, answer_silence_ms=300)


class ScriptedVoice:
    """A voice detector that hears speech in every frame whose first byte is not 0.

    The pause rules are the endpointer's own; which frames are speech is the
    VAD's business, tested on real audio above.
    """

    frame_seconds = 0.032
    frame_bytes = 1024

    def is_speech(self, frame: bytes, in_speech: bool) -> bool:
        del in_speech
        return frame[0] != 0


PAUSES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "early_pauses.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize(
    "row", PAUSES, ids=[f"{r['completeness']}-{r['pause_frames']}" for r in PAUSES]
)
def test_the_pause_that_ends_an_utterance_follows_how_complete_it_is(row: dict[str, Any]) -> None:
    speech, silence = b"\x01" * 1024, bytes(1024)
    endpointer = Endpointer(16000, EndpointConfig(), detector=ScriptedVoice())  # type: ignore[arg-type]
    found = endpointer.feed(speech * 10)
    found += endpointer.hurry(Completeness[row["completeness"]])
    found += endpointer.feed(silence * row["pause_frames"] + speech * 10 + silence * 30)
    ends = [b for b in found if b.kind == "end"]
    assert len(ends) == 1
    # 10 frames of speech, then the pause: an end there is at 0.32 s.
    assert (ends[0].time == 0.32) is row["ends"]
    assert endpointer.ended_early is (row["completeness"] != "NO")
