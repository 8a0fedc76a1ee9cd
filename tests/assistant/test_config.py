"""Configuration layering: defaults < TOML file < environment < command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.errors import ConfigError


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DRIVETALK_BACKEND", "DRIVETALK_TIMEZONE", "DRIVETALK_TTS__RATE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_any_file() -> None:
    settings = load_settings()
    assert settings.backend == "local"
    assert settings.tts.enabled


def test_file_then_environment_then_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, 'backend = "matrix"\ntimezone = "Europe/Berlin"\n[tts]\nrate = 200\n')
    assert load_settings(path).backend == "matrix"
    monkeypatch.setenv("DRIVETALK_BACKEND", "caldav")
    monkeypatch.setenv("DRIVETALK_TTS__RATE", "150")
    settings = load_settings(path)
    assert (settings.backend, settings.tts.rate, settings.timezone) == (
        "caldav",
        150,
        "Europe/Berlin",
    )
    assert load_settings(path, backend="local").backend == "local"


def test_connector_tables_are_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, '[connectors.matrix]\nhomeserver = "http://127.0.0.1:8008"\n')
    assert load_settings(path).connectors["matrix"]["homeserver"] == "http://127.0.0.1:8008"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timezone = 'Mars/Olympus'", "unknown time zone"),
        ("[tts]\nrate = 9000", "tts.rate"),
        ("bakend = 'local'", "bakend"),
        ("backend = ", "not valid TOML"),
        ("[asr]\nrejoin_ms = -1", "asr.rejoin_ms"),
        ("[asr]\nanswer_silence_ms = 20", "asr.answer_silence_ms"),
        ("[nlu]\narbiter = 'maybe'", "nlu.arbiter"),
    ],
)
def test_bad_values_are_one_clear_config_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(_write(tmp_path, text))


def test_a_missing_named_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.toml")


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_locale_is_english_or_mandarin(tmp_path: Path, locale: str) -> None:
    assert load_settings(_write(tmp_path, f'locale = "{locale}"\n')).locale == locale


def test_an_unknown_locale_is_one_clear_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'locale'.*'en' or 'zh'"):
        load_settings(_write(tmp_path, 'locale = "fr"\n'))


def test_a_bad_environment_value_names_the_variable_not_a_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DRIVETALK_TTS__RATE", "abc")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "from environment variable DRIVETALK_TTS__RATE" in str(caught.value)
    assert "config.toml" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("backend = 'local'\n\n[tts]\n# wpm\nrate = 'fast'\n", ":5"),
        ("[server.limits]\nsend_queue = 0\n", ":2"),
        ("tts = {rate = 'fast'}\n", ":1"),
        ("[tts]\n'rate' = 'fast'\n", ":2"),
    ],
)
def test_a_bad_file_value_names_the_file_and_line(tmp_path: Path, text: str, where: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert f"from {path}{where})" in str(caught.value)


def test_a_binary_config_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\x00")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_settings(path)
