"""Fixtures of the server tests: spoken Korean test audio (espeak-ng)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.assistant.audio.wavgen import espeak, silence_then

#: Something to say (any Korean: the model is Korean, the parser English).
KOREAN_TEXT = "안녕하세요 오늘 날씨가 좋네요"


@pytest.fixture(scope="session")
def korean_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About three seconds of Korean speech with silence around it, 22.05 kHz mono."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("needs espeak-ng and sox")
    root = tmp_path_factory.mktemp("korean")
    speech = espeak(KOREAN_TEXT, root / "speech.wav")
    return silence_then(root / "utterance.wav", speech, lead=0.5, tail=1.5)
