"""The catalogue of official vosk models (data in ``catalogue.json``).

Every entry is tagged with the ISO 639-1 ``language`` its words are in
(``en``, ``zh``, ``ko`` ...; ``lang`` is vosk's own code, ``en-us``, ``cn``),
so a model can be matched against the conversation's locale. ``bytes`` and
``sha256``, where the archive's published checksum is known, are verified
after a download.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from assistant.errors import UserInputError

#: The model DriveTalk suggests when none is installed.
DEFAULT_MODEL = "vosk-model-small-en-us-0.15"

#: The model suggested for each locale's language.
DEFAULT_MODELS = {"en": DEFAULT_MODEL, "zh": "vosk-model-small-cn-0.22"}

#: Names of the catalogue's languages, for messages.
LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Chinese (Mandarin)",
    "ko": "Korean",
    "ja": "Japanese",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "ru": "Russian",
}


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One downloadable model."""

    name: str
    language: str
    lang: str
    size: str
    url: str
    note: str = ""
    bytes: int | None = None
    sha256: str | None = None


@cache
def catalogue() -> tuple[CatalogueEntry, ...]:
    """All catalogue entries, in the order ``drivetalk model list`` shows them."""
    # Imported here: importlib.resources brings tempfile and shutil, which
    # `transcribe` (it only names languages) does not need at start.
    from importlib import resources

    text = resources.files("assistant.asr").joinpath("catalogue.json").read_text("utf-8")
    return tuple(CatalogueEntry(**entry) for entry in json.loads(text)["models"])


def find_entry(name: str) -> CatalogueEntry:
    """The entry called ``name``; UserInputError naming the fix if there is none."""
    entry = lookup(name)
    if entry is None:
        raise UserInputError(
            f"unknown model {name!r}: `drivetalk model list` shows the catalogue "
            "(or give its address with --url)"
        )
    return entry


def lookup(name: str) -> CatalogueEntry | None:
    """The entry called ``name``, or None."""
    return next((entry for entry in catalogue() if entry.name == name), None)


def language_name(language: str) -> str:
    """``zh`` -> ``Chinese (Mandarin)``; an unlisted code is shown as it is."""
    return LANGUAGE_NAMES.get(language, language)


def default_model(language: str) -> str:
    """The catalogue model to suggest for ``language`` (the first of it if no default)."""
    if language in DEFAULT_MODELS:
        return DEFAULT_MODELS[language]
    return next((e.name for e in catalogue() if e.language == language), DEFAULT_MODEL)
