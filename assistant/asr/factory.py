"""Building the configured transcriber: what the CLI, server and replay call."""

from __future__ import annotations

from pathlib import Path

from assistant.asr.language import check_language, locale_language
from assistant.asr.locate import ModelChoice, select_model
from assistant.asr.vosk_engine import VoskTranscriber
from assistant.config import Settings


def transcriber_from_settings(
    settings: Settings,
    *,
    locale: str | None,
    model: Path | None = None,
    alternatives: int | None = None,
) -> tuple[VoskTranscriber, ModelChoice]:
    """Select the model (``model`` outranks the settings), load it once, and wrap it.

    ``locale``: the words are to be understood in this locale, so the model
    must hear its language (an installed one of that language is preferred;
    one of another language is refused with ModelLanguageError naming what
    to install) unless ``[asr] language_check`` is off. None: only
    transcribing, any model will do.
    Raises ModelNotFoundError (how to get a model) or ModelError (unusable model).
    The load time is ``transcriber.model.load_seconds`` (0-ish when cached).
    """
    checked = locale if settings.asr.language_check else None
    choice = select_model(
        model,
        settings.model,
        language=locale_language(checked) if checked else None,
        declared=settings.asr.model_language,
    )
    if checked is not None:
        check_language(choice.path, choice.language, checked)
    transcriber = VoskTranscriber.from_path(
        choice.path,
        alternatives=alternatives or settings.asr.alternatives,
        decoders=settings.asr.decoders,
        decoder_wait=settings.asr.decoder_wait_s,
        language=choice.language,
    )
    return transcriber, choice
