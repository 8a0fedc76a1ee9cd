"""Fixtures shared with the recognition tests: the Korean vosk model and espeak speech."""

from tests.assistant.asr.conftest import ko, ko_model_path, speech  # noqa: F401  (fixtures)
