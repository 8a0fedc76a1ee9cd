"""Words for drivers: times, days, durations and counts as people say them.

Nothing here ever produces an ISO string or a raw timestamp: a driver hears
"at 3 PM tomorrow", "for an hour and a half", "3 new messages".
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SMALL = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$)")


def number(n: int) -> str:
    """Small counts as words ("three"), larger ones as digits the voice reads well."""
    return _SMALL[n] if 0 <= n < len(_SMALL) else str(n)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``count(3, "message")`` -> "three messages"; ``count(1, ...)`` -> "one message"."""
    word = noun if n == 1 else (plural or noun + "s")
    return f"{number(n)} {word}"


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


def at_time(dt: datetime, now: datetime) -> str:
    """A moment as a driver hears it: "at 3 PM tomorrow", "at noon today"."""
    local = dt.astimezone(now.tzinfo)
    return f"at {clock(local)} {day(local, now)}"


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


def period(start: datetime, end: datetime, now: datetime) -> str:
    """A time range as a phrase: "tomorrow", "this afternoon", "on Friday"."""
    local_start = start.astimezone(now.tzinfo)
    hours = (end - start) / timedelta(hours=1)
    when = day(local_start, now)
    if hours > 24 + 1:
        return "in that period"
    if hours >= 20:
        return when
    part = _part_of_day(local_start.hour)
    if when == "today":
        return f"this {part}" if part != "night" else "tonight"
    if when == "tomorrow":
        return f"tomorrow {part}"
    return f"{when} {part}"


def _part_of_day(hour: int) -> str:
    if hour < 12:
        return "morning"
    if hour < 17:
        return "afternoon"
    if hour < 21:
        return "evening"
    return "night"


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


def join_names(names: list[str] | tuple[str, ...]) -> str:
    """ "Li Na", "Li Na and Zhang San", "Li Na, Zhang San and Wang Fang"."""
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
