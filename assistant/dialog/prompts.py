"""The prompt catalogue: every sentence the assistant says, as data per locale.

``catalogue/<locale>.yaml`` next to this module holds four tables with the
same keys in every locale:

* ``prompts``: dotted keys to ``str.format`` templates of whole sentences;
* ``phrases``: fragments the flows assemble sentences from ("{name} in
  {department}"), used as they are (no capital letter added);
* ``vocabulary``: the phrases a constrained-listening turn expects;
* ``words``: per-locale lookup tables (department names, counted nouns).

Loaded once per locale; a missing key or placeholder is a programming error
and raises :class:`~assistant.errors.DialogError` loudly. Without an
explicit locale the language of the dialog step in progress is used (see
:mod:`assistant.dialog.locale`).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from assistant.dialog.locale import current
from assistant.errors import DialogError
from assistant.locales import LOCALES, Locale, unknown_locale_message


@cache
def _catalogue(locale: Locale = "en") -> dict[str, Any]:
    if locale not in LOCALES:
        raise DialogError(unknown_locale_message(locale))
    path = resources.files(__package__).joinpath("catalogue", f"{locale}.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "prompts" not in data:
        raise DialogError(f"the {locale} prompt catalogue has no 'prompts' table")
    return data


def _lookup(table: str, key: str, locale: Locale | None) -> Any:
    node: Any = _catalogue(locale or current()).get(table, {})
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise DialogError(f"no {table[:-1]} {key!r} in the catalogue")
        node = node[part]
    return node


def _fill(key: str, template: Any, values: dict[str, Any]) -> str:
    try:
        return str(template).format(**values).strip()
    except (KeyError, IndexError) as exc:
        raise DialogError(f"prompt {key!r} needs the value {exc}") from exc


def prompt(key: str, *, locale: Locale | None = None, **values: Any) -> str:
    """The sentence for ``key`` (e.g. ``"send.confirm"``) filled with ``values``."""
    text = _fill(key, _lookup("prompts", key, locale), values)
    # Templates may start with a value ("{count} in Project Apollo."): a
    # sentence still starts with a capital letter.
    return text[:1].upper() + text[1:]


def phrase(key: str, *, locale: Locale | None = None, **values: Any) -> str:
    """A sentence fragment for ``key`` filled with ``values``, used as it is.

    Unlike :func:`prompt` the result is not stripped, so a fragment may
    carry the spaces that join it to its neighbours (" or ").
    """
    template = _lookup("phrases", key, locale)
    try:
        return str(template).format(**values)
    except (KeyError, IndexError) as exc:
        raise DialogError(f"phrase {key!r} needs the value {exc}") from exc


def vocabulary(name: str, locale: Locale | None = None) -> tuple[str, ...]:
    """The phrases a constrained-listening turn of kind ``name`` expects."""
    words = _catalogue(locale or current()).get("vocabulary", {}).get(name)
    if words is None:
        raise DialogError(f"no vocabulary {name!r} in the catalogue")
    return tuple(words)


def word(table: str, key: str, locale: Locale | None = None) -> str:
    """``key`` looked up in the locale's ``words.<table>``; ``key`` itself if absent.

    Used for data that arrives in English from a directory (departments)
    and has a usual name in the conversation's language.
    """
    found = _catalogue(locale or current()).get("words", {}).get(table, {})
    value = found.get(key) if isinstance(found, dict) else None
    return str(value) if value is not None else key


def part_of_day(hour: int, kind: str = "period", locale: Locale | None = None) -> str:
    """The part of the day ``hour`` falls in, as the locale says it before a time
    (``kind`` "clock": "下午三点") or of a stretch of time ("period": "this afternoon")."""
    table = _catalogue(locale or current()).get("parts_of_day", {}).get(kind)
    if not table:
        raise DialogError(f"no parts_of_day {kind!r} in the catalogue")
    for until, said in table:
        if hour < int(until):
            return str(said)
    return str(table[-1][1])
