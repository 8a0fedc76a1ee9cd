"""Building the configured transcriber: what the CLI, server and replay call."""

from __future__ import annotations

from pathlib import Path

from assistant.asr.locate import ModelChoice, select_model
from assistant.asr.vosk_engine import VoskTranscriber
from assistant.config import Settings


def transcriber_from_settings(
    settings: Settings, *, model: Path | None = None, alternatives: int | None = None
) -> tuple[VoskTranscriber, ModelChoice]:
    """Select the model (``model`` outranks the settings), load it once, and wrap it.

    Raises ModelNotFoundError (how to get a model) or ModelError (unusable model).
    The load time is ``transcriber.model.load_seconds`` (0-ish when cached).
    """
    choice = select_model(model, settings.model)
    transcriber = VoskTranscriber.from_path(
        choice.path,
        alternatives=alternatives or settings.asr.alternatives,
        decoders=settings.asr.decoders,
        decoder_wait=settings.asr.decoder_wait_s,
    )
    return transcriber, choice
