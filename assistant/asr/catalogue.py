"""The catalogue of official vosk models (data in ``catalogue.json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from assistant.errors import UserInputError

#: The model DriveTalk suggests when none is installed.
DEFAULT_MODEL = "vosk-model-small-en-us-0.15"


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One downloadable model."""

    name: str
    lang: str
    size: str
    url: str
    note: str = ""


@cache
def catalogue() -> tuple[CatalogueEntry, ...]:
    """All catalogue entries, in the order ``drivetalk model list`` shows them."""
    text = resources.files("assistant.asr").joinpath("catalogue.json").read_text("utf-8")
    return tuple(CatalogueEntry(**entry) for entry in json.loads(text)["models"])


def find_entry(name: str) -> CatalogueEntry:
    """The entry called ``name``; UserInputError naming the fix if there is none."""
    for entry in catalogue():
        if entry.name == name:
            return entry
    raise UserInputError(
        f"unknown model {name!r}: `drivetalk model list` shows the catalogue "
        "(or give its address with --url)"
    )
