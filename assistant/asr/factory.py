"""Building the configured transcriber: what the CLI, server and replay call.

Engines are found by name (``[asr] engine``) among the ``drivetalk.asr_engines``
entry points (``vosk`` and ``pocketsphinx`` ship with DriveTalk); each is a
function of one :class:`EngineRequest` (what is to be heard, and how) returning
the loaded transcriber and the model it chose.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TypedDict

from assistant.asr.base import Transcriber
from assistant.asr.language import check_language, locale_language
from assistant.asr.locate import ModelChoice, select_model
from assistant.config import Settings, default_cache_dir
from assistant.errors import ConfigError, ModelLanguageError

#: The entry-point group speech engines register in.
ENGINE_GROUP = "drivetalk.asr_engines"


class PoolOptions(TypedDict):
    """How every engine's decoder pool is set up (``[asr]``)."""

    alternatives: int
    decoders: int | None
    decoder_wait: float


@dataclass(frozen=True, slots=True)
class EngineRequest:
    """What an engine is built for: the settings, the locale to understand (None:
    only transcribing), a model outranking the settings, the n-best size, and
    the directory's names (for an engine that learns them)."""

    settings: Settings
    locale: str | None
    model: Path | None = None
    alternatives: int | None = None
    names: Sequence[str] = ()

    def pool(self) -> PoolOptions:
        """The decoder-pool options every engine takes, from ``[asr]``."""
        asr = self.settings.asr
        return PoolOptions(
            alternatives=self.alternatives or asr.alternatives,
            decoders=asr.decoders,
            decoder_wait=asr.decoder_wait_s,
        )


EngineBuilder = Callable[[EngineRequest], tuple[Any, ModelChoice]]


def transcriber_from_settings(
    settings: Settings,
    *,
    locale: str | None,
    model: Path | None = None,
    alternatives: int | None = None,
    names: Sequence[str] = (),
) -> tuple[Any, ModelChoice]:
    """Select the engine and model (``model`` outranks the settings), load it once, wrap it.

    ``locale``: the words are to be understood in this locale, so the model
    must hear its language (an installed one of that language is preferred;
    one of another language is refused with ModelLanguageError naming what
    to install) unless ``[asr] language_check`` is off. None: only
    transcribing, any model will do. ``names``: the directory's names, which
    an engine with a generated language model (pocketsphinx) learns.
    Raises ConfigError (unknown engine), ModelNotFoundError (how to get a
    model or the engine) or ModelError (unusable model). The load time is
    ``transcriber.model.load_seconds`` (0-ish when cached).
    """
    build = engine_builder(settings.asr.engine)
    return build(EngineRequest(settings, locale, model, alternatives, tuple(names)))


def engine_names() -> list[str]:
    """The installed speech engines."""
    return sorted({ep.name for ep in entry_points(group=ENGINE_GROUP)})


def engine_builder(name: str) -> EngineBuilder:
    """The builder of engine ``name``; ConfigError listing the known ones otherwise."""
    for ep in entry_points(group=ENGINE_GROUP):
        if ep.name == name:
            builder: EngineBuilder = ep.load()
            return builder
    known = ", ".join(engine_names()) or "none (reinstall drivetalk: pip install -e .)"
    raise ConfigError(f"unknown speech engine {name!r} in [asr] engine (installed: {known})")


def vosk_engine(request: EngineRequest) -> tuple[Transcriber, ModelChoice]:
    """The vosk engine on the selected model (names unused: vosk's graph is fixed)."""
    from assistant.asr.vosk_engine import VoskTranscriber

    settings = request.settings
    checked = request.locale if settings.asr.language_check else None
    choice = select_model(
        request.model,
        settings.model,
        language=locale_language(checked) if checked else None,
        declared=settings.asr.model_language,
    )
    if checked is not None:
        check_language(choice.path, choice.language, checked)
    transcriber = VoskTranscriber.from_path(choice.path, language=choice.language, **request.pool())
    return transcriber, choice


def pocketsphinx_engine(request: EngineRequest) -> tuple[Transcriber, ModelChoice]:
    """pocketsphinx's English model with a language model learnt from the grammar and names."""
    from assistant.asr.sphinx_engine import SphinxTranscriber, load_sphinx_model

    settings, locale = request.settings, request.locale
    if request.model is not None or settings.model is not None:
        raise ConfigError(
            "--model / DRIVETALK_MODEL name a vosk model; the pocketsphinx engine uses the "
            'English model in its wheel (unset the model, or set [asr] engine = "vosk")'
        )
    if locale is not None and settings.asr.language_check and locale_language(locale) != "en":
        raise ModelLanguageError(
            f"the pocketsphinx engine hears English only (no pocketsphinx model for locale "
            f'{locale} is shipped): set [asr] engine = "vosk" and run `drivetalk model pull` '
            "for a model of that language"
        )
    loaded = load_sphinx_model(request.names, default_cache_dir() / "sphinx-lm")
    transcriber = SphinxTranscriber(loaded, **request.pool())
    return transcriber, ModelChoice(loaded.path, "pocketsphinx wheel", "en")
