"""Words for drivers: times, days, durations and counts as people say them.

Nothing here ever produces an ISO string or a raw timestamp: a driver hears
"at 3 PM tomorrow", "for an hour and a half", "3 new messages". The
functions below are the English words; while the dialog speaks Mandarin
each hands over to its namesake in :mod:`assistant.dialog.speech_zh`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import ParamSpec, TypeVar

from assistant.dialog.locale import current
from assistant.dialog.prompts import part_of_day

_P = ParamSpec("_P")
_R = TypeVar("_R")

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SMALL = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$)")


def _localised(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Use the same-named function of the dialog's locale (English is this module)."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if current() == "zh":
            from assistant.dialog import speech_zh  # it reads the catalogue: import late

            found: Callable[_P, _R] = getattr(speech_zh, func.__name__)
            return found(*args, **kwargs)
        return func(*args, **kwargs)

    return wrapper


@_localised
def number(n: int) -> str:
    """Small counts as words ("three"), larger ones as digits the voice reads well."""
    return _SMALL[n] if 0 <= n < len(_SMALL) else str(n)


@_localised
def tally(n: int) -> str:
    """A number said on its own after a list ("2 more"): digits in English."""
    return str(n)


@_localised
def count(n: int, noun: str, plural: str | None = None) -> str:
    """``count(3, "message")`` -> "three messages"; ``count(1, ...)`` -> "one message"."""
    word = noun if n == 1 else (plural or noun + "s")
    return f"{number(n)} {word}"


@_localised
def clock(dt: datetime) -> str:
    """The time of day: "3 PM", "9:30 AM", "noon", "midnight"."""
    if dt.minute == 0 and dt.hour == 12:
        return "noon"
    if dt.minute == 0 and dt.hour == 0:
        return "midnight"
    hour = dt.hour % 12 or 12
    suffix = "AM" if dt.hour < 12 else "PM"
    if dt.minute == 0:
        return f"{hour} {suffix}"
    return f"{hour}:{dt.minute:02d} {suffix}"


@_localised
def day(dt: datetime, now: datetime) -> str:
    """The day relative to ``now``: "today", "tomorrow", "on Friday", "on Friday, May 8"."""
    local = dt.astimezone(now.tzinfo)
    delta = (local.date() - now.date()).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    weekday = _WEEKDAYS[local.weekday()]
    if 1 < delta < 7:
        return f"on {weekday}"
    return f"on {weekday}, {local.strftime('%B')} {local.day}"


@_localised
def at_time(dt: datetime, now: datetime) -> str:
    """A moment as a driver hears it: "at 3 PM tomorrow", "at noon today"."""
    local = dt.astimezone(now.tzinfo)
    return f"at {clock(local)} {day(local, now)}"


@_localised
def duration(minutes: int) -> str:
    """ "30 minutes", "an hour", "an hour and a half", "2 hours 15 minutes"."""
    hours, mins = divmod(max(minutes, 0), 60)
    if hours == 0:
        return count(mins, "minute")
    if hours == 1 and mins == 30:
        return "an hour and a half"
    head = "an hour" if hours == 1 else f"{number(hours)} hours"
    return head if mins == 0 else f"{head} {count(mins, 'minute')}"


def span_minutes(start: datetime, end: datetime) -> int:
    """Whole minutes between two moments (never negative)."""
    return max(int((end - start) / timedelta(minutes=1)), 0)


@_localised
def period(start: datetime, end: datetime, now: datetime) -> str:
    """A time range as a phrase: "tomorrow", "this afternoon", "on Friday"."""
    local_start = start.astimezone(now.tzinfo)
    hours = (end - start) / timedelta(hours=1)
    when = day(local_start, now)
    if hours > 24 + 1:
        return "in that period"
    if hours >= 20:
        return when
    part = part_of_day(local_start.hour)
    if when == "today":
        return f"this {part}" if part != "night" else "tonight"
    if when == "tomorrow":
        return f"tomorrow {part}"
    return f"{when} {part}"


@_localised
def spoken_limit(chars: int, text: str) -> int:
    """How many characters of ``text`` to speak before offering the rest.

    ``[dialog] max_spoken_chars`` counts English characters (220: about
    fifteen seconds at 175 words a minute).
    """
    del text  # English: a character is a character
    return chars


@_localised
def split_for_speech(text: str, limit: int) -> tuple[str, str]:
    """Cut ``text`` into a spoken head of at most ``limit`` characters and the rest.

    Prefers the last sentence end inside the limit, then the last word
    boundary, so the driver never hears half a word.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text, ""
    window = text[: limit + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() >= limit // 3]
    if ends:
        return text[: ends[-1]].rstrip(), text[ends[-1] :].lstrip()
    cut = window.rfind(" ")
    if cut <= 0:
        cut = limit
    # Cut mid-sentence: the ellipsis makes the voice trail off instead of
    # running straight into the next prompt.
    return text[:cut].rstrip(" ,;:") + "...", text[cut:].lstrip()


@_localised
def join_names(names: list[str] | tuple[str, ...]) -> str:
    """ "Li Na", "Li Na and Zhang San", "Li Na, Zhang San and Wang Fang"."""
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


@_localised
def moment(dt: datetime, now: datetime) -> str:
    """ "2:30 PM tomorrow": a moment without the leading "at"."""
    local = dt.astimezone(now.tzinfo)
    return f"{clock(local)} {day(local, now)}"


@_localised
def alternatives(options: list[str] | tuple[str, ...]) -> str:
    """ "Li Wei in Sales or Li Wei in Finance", "A, B or C": a choice to offer."""
    items = list(options)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


@_localised
def each_or(options: list[str] | tuple[str, ...]) -> str:
    """ "A or B or C": meetings to choose between, each one whole."""
    return " or ".join(options)


@_localised
def spoken_phone(number: str) -> str:
    """ "+86 138 0013 8000" -> "plus 8 6, 1 3 8, 0 0 1 3, 8 0 0 0": digits, grouped."""
    groups = []
    for chunk in number.replace("-", " ").split():
        digits = " ".join(ch for ch in chunk if ch.isdigit())
        if digits:
            groups.append(("plus " if chunk.startswith("+") else "") + digits)
    return ", ".join(groups)


@_localised
def spoken_email(address: str) -> str:
    """ "li.na@example.com" -> "li dot na at example dot com"."""
    return address.replace("@", " at ").replace(".", " dot ")
