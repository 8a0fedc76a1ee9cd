"""The languages DriveTalk speaks, and the one check every edge uses.

``en`` (English) and ``zh`` (Mandarin, zh-CN). A locale comes from the
settings, a tenant's ``tenant.toml``, a server session, the command line or
a replay manifest; each of them checks it here so an unknown one is the same
clear one-line error everywhere.
"""

from __future__ import annotations

import unicodedata
from typing import Literal, TypeGuard, get_args

from assistant.errors import ConfigError
from assistant.scripts import is_han

Locale = Literal["en", "zh"]

#: Every supported locale, in the order they are offered.
LOCALES: tuple[Locale, ...] = get_args(Locale)

#: What each locale is called, for help texts and the browser page.
LOCALE_NAMES = {"en": "English", "zh": "中文 (Mandarin)"}


def is_locale(value: object) -> TypeGuard[Locale]:
    """Whether ``value`` names a supported locale."""
    return isinstance(value, str) and value in LOCALES


def unknown_locale_message(value: object) -> str:
    """The one line every edge reports for a locale DriveTalk does not speak."""
    return f"unknown locale {value!r}: DriveTalk speaks en (English) and zh (Mandarin)"


def check_locale(value: object) -> Locale:
    """``value`` as a :data:`Locale`; :class:`ConfigError` for anything else."""
    if not is_locale(value):
        raise ConfigError(unknown_locale_message(value))
    return value


def foreign_script(text: str) -> bool:
    """Whether most letters of ``text`` are in a script neither locale is written in.

    Latin letters (English, pinyin, names like David) and CJK characters are
    ours; Hangul, Cyrillic, Arabic, kana and the rest are not. Digits,
    punctuation and spaces do not count either way.
    """
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    foreign = sum(1 for ch in letters if not _our_letter(ch))
    return foreign * 2 > len(letters)


def _our_letter(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("LATIN", "CJK", "FULLWIDTH LATIN"))


def is_cjk(text: str) -> bool:
    """Whether ``text`` is written wholly in CJK characters (a middle dot allowed)."""
    stripped = text.strip()
    return bool(stripped) and all(_cjk_char(ch) or ch in "·•" for ch in stripped)


def _cjk_char(ch: str) -> bool:
    return is_han(ch)
