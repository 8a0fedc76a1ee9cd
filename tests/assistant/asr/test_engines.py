"""Choosing the speech engine (``[asr] engine``) and what a wrong choice says."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from assistant.asr.factory import engine_names, transcriber_from_settings
from assistant.cli import main
from assistant.config import load_settings
from assistant.errors import ConfigError, ModelLanguageError, ModelNotFoundError

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("DRIVETALK_MODEL", raising=False)
    return tmp_path / "cache"


def test_both_engines_are_registered_and_vosk_is_the_default() -> None:
    assert {"vosk", "pocketsphinx"} <= set(engine_names())
    assert load_settings(None).asr.engine == "vosk"


def test_an_unknown_engine_names_the_installed_ones() -> None:
    settings = load_settings(None, asr={"engine": "whisper"})
    with pytest.raises(ConfigError, match=r"unknown speech engine 'whisper'.*pocketsphinx, vosk"):
        transcriber_from_settings(settings, locale="en")


def test_an_unknown_engine_is_one_error_line_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DRIVETALK_ASR__ENGINE", "whisper")
    wav = ROOT / "audio_samples" / "wav" / "send-all-at-once" / "2.wav"
    assert main(["transcribe", str(wav)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("drivetalk: error: unknown speech engine 'whisper'")


def test_without_pocketsphinx_installed_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pocketsphinx", None)  # import fails as if not installed
    settings = load_settings(None, asr={"engine": "pocketsphinx"})
    with pytest.raises(ModelNotFoundError, match=r"pip install 'drivetalk\[sphinx\]'"):
        transcriber_from_settings(settings, locale="en")


def test_pocketsphinx_refuses_a_vosk_model_path(tmp_path: Path) -> None:
    settings = load_settings(None, asr={"engine": "pocketsphinx"})
    with pytest.raises(ConfigError, match="name a vosk model"):
        transcriber_from_settings(settings, locale="en", model=tmp_path)


def test_pocketsphinx_hears_english_only_and_says_there_is_no_mandarin_model() -> None:
    settings = load_settings(None, asr={"engine": "pocketsphinx"})
    with pytest.raises(ModelLanguageError, match="no pocketsphinx model for locale zh"):
        transcriber_from_settings(settings, locale="zh")


@pytest.mark.slow
def test_the_english_manifest_passes_the_model_language_check() -> None:
    pytest.importorskip("pocketsphinx")
    settings = load_settings(None, asr={"engine": "pocketsphinx"})
    transcriber, choice = transcriber_from_settings(settings, locale="en", names=["Li Na"])
    assert (transcriber.name, choice.language, choice.source) == (
        "pocketsphinx",
        "en",
        "pocketsphinx wheel",
    )


def test_replaying_the_chinese_set_with_pocketsphinx_is_refused_clearly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DRIVETALK_ASR__ENGINE", "pocketsphinx")
    assert main(["replay", str(ROOT / "audio_samples" / "zh"), "--no-tts"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("drivetalk: error: ")
    assert "the pocketsphinx engine hears English only" in err[0]
    assert "no pocketsphinx model for locale zh" in err[0]
