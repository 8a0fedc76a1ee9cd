"""``drivetalk transcribe --segments``: a recording cut into utterances by the endpointer.

Specification: one JSON line per detected utterance (schema:
``SEGMENT_SCHEMA``) with ``file``, ``start`` and ``end`` in seconds from the
start of the file, ``end_reason`` and the recognition; all files in one
process; a file of silence or noise gives no line and a note on stderr; a
VAD that cannot run is one error line, before any model is loaded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from assistant.asr.segments import SEGMENT_SCHEMA
from assistant.cli import main
from assistant.replay.scenes import Scene, build_scene, noise_only
from assistant.replay.synth import speak, wav_bytes
from tests.assistant.asr.conftest import GRAMMAR

pytestmark = [pytest.mark.vosk, pytest.mark.espeak]

RATE = 16000
SAID = ["안녕하세요", "아니요", "취소"]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("DRIVETALK_CONFIG", raising=False)


@pytest.fixture(scope="module")
def scene() -> Scene:
    """The three phrases with pauses, under cabin noise at 10 dB SNR."""
    utterances = [speak(text, "ko", 150) for text in SAID]
    return build_scene(utterances, RATE, noise="cabin", snr_db=10, seed=16)


def _write(path: Path, samples: np.ndarray) -> str:
    path.write_bytes(wav_bytes(samples.astype(np.float32), RATE))
    return str(path)


def _run(
    model: Path, files: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[dict[str, Any]], str]:
    grammar = [arg for phrase in GRAMMAR for arg in ("--grammar", phrase)]
    code = main(["transcribe", "--segments", "--model", str(model), *grammar, *files])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


def test_each_utterance_of_each_file_is_one_line_with_times_from_the_file_start(
    ko_model_path: Path, scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    talk = _write(tmp_path / "talk.wav", scene.samples)
    quiet = _write(tmp_path / "quiet.wav", np.zeros(3 * RATE))
    noisy = _write(tmp_path / "noise.wav", noise_only("cabin", 12, RATE, snr_db=5, seed=3).samples)
    missing = str(tmp_path / "missing.wav")
    code, lines, err = _run(ko_model_path, [quiet, talk, noisy, missing], capsys)

    segments = [line for line in lines if "error" not in line]
    validator = Draft202012Validator(SEGMENT_SCHEMA)
    for line in segments:
        validator.validate(line)
    assert [s["file"] for s in segments] == [talk] * 3
    # The recognition is the Korean model's under noise; each phrase is heard in its segment.
    assert all(said in s["text"] for said, s in zip(SAID, segments, strict=True))
    assert [s["end_reason"] for s in segments] == ["silence"] * 3
    for segment, span in zip(segments, scene.spans, strict=True):
        assert segment["alternatives"][0]["text"] == segment["text"]
        assert span.start - 0.3 <= segment["start"] <= span.start + 0.3
        assert segment["end"] == pytest.approx(span.end, abs=0.3)
    # Silence and noise alone: no line, and a note that says so.
    assert f"drivetalk: {quiet}: no speech detected in 3.0 s (0 segments)" in err
    assert f"drivetalk: {noisy}: no speech detected in 12.0 s (0 segments)" in err
    assert lines[-1] == {
        "file": missing,
        "error": f"audio file not found: {missing}",
        "error_type": "InputFileError",
    }
    assert code == 2
    assert err.strip().endswith("drivetalk: error: 1 of 4 files could not be transcribed")


def test_utterances_cut_at_the_maximum_length_or_by_the_end_of_the_file(
    ko_model_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DRIVETALK_ASR__MAX_UTTERANCE_S", "1.0")
    long_one = speak("안녕하세요 안녕하세요 안녕하세요", "ko", 120)
    lead = np.zeros(RATE // 2, np.float32)
    long_file = _write(tmp_path / "long.wav", np.concatenate([lead, long_one, np.zeros(RATE)]))
    short = speak("네", "ko", 150)
    cut = _write(tmp_path / "cut.wav", np.concatenate([lead, short[: int(len(short) * 0.8)]]))
    code, lines, _ = _run(ko_model_path, [long_file, cut], capsys)
    assert code == 0
    by_file = {f: [s for s in lines if s["file"] == f] for f in (long_file, cut)}
    assert {s["file"] for s in lines} == {long_file, cut}
    first = by_file[long_file][0]
    assert first["end_reason"] == "max_length"
    assert first["end"] - first["start"] == pytest.approx(1.0, abs=0.05)
    assert len(by_file[long_file]) >= 2  # the rest of the speech is the next utterance
    assert [s["end_reason"] for s in by_file[cut]] == ["end_of_stream"]
    assert by_file[cut][0]["end"] == pytest.approx((len(lead) + len(short) * 0.8) / RATE, abs=0.05)


def test_a_vad_that_cannot_run_is_one_error_before_the_model_loads(
    ko_model_path: Path,
    scene: Scene,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    monkeypatch.setenv("DRIVETALK_ASR__VAD", "silero")
    talk = _write(tmp_path / "talk.wav", scene.samples)
    code, lines, err = _run(ko_model_path, [talk], capsys)
    assert (code, lines) == (2, [])
    assert err.strip() == (
        'drivetalk: error: [asr] vad = "silero" needs onnxruntime: '
        'install it (pip install onnxruntime) or set vad = "webrtc" in [asr]'
    )


def test_an_unknown_vad_name_is_one_error(
    ko_model_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DRIVETALK_ASR__VAD", "whisper")
    code, lines, err = _run(ko_model_path, [str(tmp_path / "x.wav")], capsys)
    assert (code, lines) == (2, [])
    (line,) = err.strip().splitlines()
    assert line.startswith("drivetalk: error: bad configuration value for 'asr.vad'")
    assert "'auto', 'silero' or 'webrtc'" in line


def test_headerless_pcm_is_cut_the_same_as_its_wav(
    ko_model_path: Path, scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    talk = _write(tmp_path / "talk.wav", scene.samples)
    raw = tmp_path / "talk.s16"
    raw.write_bytes(scene.pcm())
    grammar = [arg for phrase in GRAMMAR for arg in ("--grammar", phrase)]
    common = ["transcribe", "--segments", "--model", str(ko_model_path), *grammar]
    assert main([*common, talk]) == 0
    from_wav = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main([*common, "--raw", "s16le:16000:1", str(raw)]) == 0
    from_raw = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(from_wav) == 3
    strip = ("file",)
    assert [{k: v for k, v in s.items() if k not in strip} for s in from_raw] == [
        {k: v for k, v in s.items() if k not in strip} for s in from_wav
    ]
