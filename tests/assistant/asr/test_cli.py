"""``drivetalk transcribe`` and ``drivetalk model``, run in-process (the model stays loaded)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.asr.catalogue import DEFAULT_MODEL
from assistant.audio import SampleFormat
from assistant.cli import main
from tests.assistant.asr.archive_server import NAME, Archive
from tests.assistant.asr.conftest import GRAMMAR
from tests.assistant.asr.modelfiles import make_model_dir, model_zip
from tests.assistant.audio.wavgen import encode, tone, wav_bytes


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("DRIVETALK_MODEL", raising=False)
    monkeypatch.delenv("DRIVETALK_CONFIG", raising=False)


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.mark.vosk
@pytest.mark.espeak
@pytest.mark.usefixtures("no_leaks")
def test_transcribe_prints_one_json_object_per_file_and_keeps_going_after_a_bad_one(
    ko_model_path: Path, speech: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"definitely not audio")
    grammar = [arg for phrase in GRAMMAR for arg in ("--grammar", phrase)]
    files = [str(speech["yes"]), str(junk), str(tmp_path / "missing.wav"), str(speech["cancel"])]
    code = main(["transcribe", "--model", str(ko_model_path), *grammar, *files])
    out, err = capsys.readouterr()
    results = _lines(out)
    assert code == 2
    assert [r["file"] for r in results] == files
    assert [r.get("text") for r in results] == ["네", None, None, "취소"]
    assert set(results[0]) == {
        "file",
        "text",
        "alternatives",
        "words",
        "audio_duration",
        "decode_time",
        "truncated",
        "language",
    }
    assert results[0]["language"] == "ko"
    assert results[0]["audio_duration"] == pytest.approx(0.6, abs=0.05)
    assert results[1]["error_type"] == "AudioFormatError"
    assert results[2]["error_type"] == "InputFileError"
    assert "(--model, Korean (ko)) loaded in" in err
    assert "drivetalk: error: 2 of 4 files could not be transcribed" in err


@pytest.mark.vosk
def test_a_ten_minute_file_stops_at_the_length_limit_and_says_so(
    ko_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "long.wav"
    minute = encode(tone(300, 60.0, 16000, amp=0.05), SampleFormat.S16)
    with path.open("wb") as fh:
        fh.write(wav_bytes(np.zeros((0, 1)), 16000, data=minute * 10))
    code = main(
        [
            "transcribe",
            "--model",
            str(ko_model_path),
            "--grammar",
            "네",
            "--max-seconds",
            "3",
            str(path),
        ]
    )
    (result,) = _lines(capsys.readouterr().out)
    assert code == 0
    assert result["truncated"] is True
    assert result["audio_duration"] == pytest.approx(3.0)


@pytest.mark.vosk
def test_raw_pcm_input_with_a_declared_format(
    ko_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "quiet.f32"
    raw.write_bytes(encode(np.zeros((48000, 2), dtype=np.float32), SampleFormat.F32))
    code = main(
        [
            "transcribe",
            "--model",
            str(ko_model_path),
            "--grammar",
            "네",
            "--raw",
            "f32le:48000:2",
            str(raw),
        ]
    )
    (result,) = _lines(capsys.readouterr().out)
    assert code == 0
    assert result["audio_duration"] == pytest.approx(1.0)


def test_transcribe_without_any_model_says_how_to_get_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("assistant.asr.locate.package_models", lambda: [])
    assert main(["transcribe", str(tmp_path / "x.wav")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"drivetalk: error: no speech model installed: run `drivetalk model pull {DEFAULT_MODEL}`"
        " or pass --model PATH (or set DRIVETALK_MODEL)"
    )


def test_model_path_follows_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRIVETALK_MODEL", str(tmp_path))
    assert main(["-v", "model", "path"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(tmp_path)
    assert "selected by: DRIVETALK_MODEL" in err


def test_model_list_shows_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "list"]) == 0
    out = capsys.readouterr().out
    assert DEFAULT_MODEL in out
    assert "vosk-model-small-ko-0.22" in out


def test_model_pull_installs_into_the_cache_and_then_it_is_selected(
    server: tuple[str, Archive], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, archive = server
    archive.payload = model_zip(NAME)
    assert main(["model", "pull", NAME, "--url", url]) == 0
    installed = tmp_path / "cache" / "drivetalk" / "models" / NAME
    assert capsys.readouterr().out.strip() == str(installed)
    assert main(["model", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(installed)


def test_the_chinese_models_are_listed_with_their_language(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["model", "list"]) == 0
    rows = {line.split()[0]: line.split()[1] for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows["vosk-model-small-cn-0.22"] == "zh"
    assert rows["vosk-model-cn-0.22"] == "zh"
    assert rows[DEFAULT_MODEL] == "en"


def test_a_catalogue_model_from_a_mirror_must_be_the_published_archive(
    server: tuple[str, Archive], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, archive = server
    archive.payload = model_zip("vosk-model-small-cn-0.22")  # not the real 42 MB archive
    assert main(["model", "pull", "vosk-model-small-cn-0.22", "--url", url]) == 1
    err = capsys.readouterr().err
    assert "is not the published one" in err
    assert not (tmp_path / "cache" / "drivetalk" / "models" / "vosk-model-small-cn-0.22").exists()


def test_the_large_chinese_model_is_pulled_and_then_chosen_for_chinese_only(
    server: tuple[str, Archive], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, archive = server
    archive.payload = model_zip("vosk-model-cn-0.22")  # no published checksum to hold it to
    assert main(["model", "pull", "vosk-model-cn-0.22", "--url", url]) == 0
    installed = capsys.readouterr().out.strip()
    assert main(["model", "path", "--locale", "zh"]) == 0
    assert capsys.readouterr().out.strip() == installed
    assert main(["model", "path", "--locale", "en"]) == 2
    assert "no English (en) speech model installed" in capsys.readouterr().err


def test_model_path_for_a_locale_picks_that_language_or_names_what_to_pull(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("assistant.asr.locate.package_models", lambda: [])
    models = tmp_path / "cache" / "drivetalk" / "models"
    make_model_dir(models / "vosk-model-small-en-us-0.15")
    assert main(["model", "path", "--locale", "zh"]) == 2
    assert "drivetalk model pull vosk-model-small-cn-0.22" in capsys.readouterr().err
    make_model_dir(models / "vosk-model-small-cn-0.22")
    assert main(["-v", "model", "path", "--locale", "zh"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(models / "vosk-model-small-cn-0.22")
    assert "hears: Chinese (Mandarin)" in err


def test_model_pull_of_an_unknown_name_points_to_the_list(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["model", "pull", "vosk-model-klingon"]) == 2
    assert "drivetalk model list" in capsys.readouterr().err


@pytest.mark.vosk
def test_raw_pcm_can_come_from_stdin(
    ko_model_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pcm = encode(np.zeros((8000, 1), dtype=np.float32), SampleFormat.S16)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(pcm)))
    args = ["transcribe", "--model", str(ko_model_path), "--grammar", "네"]
    assert main([*args, "--raw", "s16le:8000", "-"]) == 0
    (result,) = _lines(capsys.readouterr().out)
    assert (result["file"], result["text"]) == ("-", "")
    assert result["audio_duration"] == pytest.approx(1.0)
    assert main([*args, "-"]) == 2
    (failed,) = _lines(capsys.readouterr().out)
    assert "needs --raw" in failed["error"]
