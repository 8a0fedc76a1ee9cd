"""Find Chinese date and time phrases ("明天下午三点半", "下周五", "两个小时").

The Chinese counterpart of :mod:`intents.timeparse`: it scans the character
tokens of :func:`intents.text.tokenize_cjk` and produces the same
:class:`~intents.timeparse.Piece` records, so :mod:`intents.when` resolves
them with the same rules as English (a bare 三点 is 15:00 by the working-hours
rule, 下午/晚上 make an hour afternoon, 上午/凌晨 keep it morning).

The shapes are regular expressions built from ``grammar/zh/time.yaml``; numbers
written in characters (三, 十五, 两) are read by cn2an, digits as they are. A
Chinese phrase usually says the day, the part of the day and the clock as
separate pieces (明天 / 下午 / 三点半): the resolver merges them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from assistant.errors import ConfigError
from intents.timeparse import Clock, Piece

#: A number as a recogniser writes it: digits or Chinese numerals.
NUM = r"(?:\d+|[零〇一二两三四五六七八九十百]+)"


@lru_cache(maxsize=512)
def number(text: str) -> float | None:
    """A number written in digits or characters ("15", "十五", "两"), or None."""
    if text.isdigit():
        return float(text)
    import cn2an  # only the Chinese parser needs it (importing costs 0.1 s)

    try:
        return float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True, slots=True)
class _Shape:
    """One phrase shape: its regex and how a match becomes a Piece."""

    regex: re.Pattern[str]
    build: Callable[[re.Match[str]], dict[str, Any] | None]


class ZhTimeScanner:
    """Scans character tokens for Chinese date/time phrases (``time.yaml`` vocabulary)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        try:
            self.working_start = int(data["working_hours_start"])
            self._load(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"grammar zh/time.yaml is incomplete or malformed: {exc}") from exc
        #: For intents.moving: the words before a move's new time, and inside a range.
        self.target_words = frozenset(str(w) for w in data.get("move_targets", ()))
        self._starts = frozenset(
            ch for shape in self._shapes for ch in _first_chars(shape.regex.pattern)
        )
        number("三")  # import cn2an now (0.1 s), not during the first parse

    def _load(self, data: Mapping[str, Any]) -> None:
        self.relative = {str(k): int(v) for k, v in data["relative_days"].items()}
        self.relative_parts = {
            str(k): (int(v[0]), tuple(int(h) for h in v[1]))
            for k, v in data["relative_with_part"].items()
        }
        self.week_shifts = {str(k): int(v) for k, v in data["week_shifts"].items()}
        self.week_words = [str(w) for w in data["week_words"]]
        self.weekdays = {str(k): int(v) for k, v in data["weekdays"].items()}
        self.parts = {str(k): (int(v[0]), int(v[1])) for k, v in data["parts_of_day"].items()}
        self.units = {str(k): int(v) for k, v in data["units"].items()}
        self.after = [str(w) for w in data["offset_after"]]
        self.before = [str(w) for w in data["offset_before"]]
        self.periods = {str(k): (str(v[0]), int(v[1])) for k, v in data["periods"].items()}
        self.month_ends = {str(k): int(v) for k, v in data["month_ends"].items()}
        self.recurrences = [str(w) for w in data["recurrences"]]
        self.repeat = [str(w) for w in data["repeat_words"]]
        self.range_words = tuple(str(w) for w in data["range_words"])
        self.no_one_oclock = frozenset(str(data["not_one_oclock_after"]))
        self._shapes = self._compile()

    # -- shapes ------------------------------------------------------------

    def _compile(self) -> tuple[_Shape, ...]:
        clock = self._clock_pattern("")
        clock2 = self._clock_pattern("2")
        unit = _alt(self.units)
        amount = rf"(?:(?P<n>{NUM})(?P<ge>个)?(?P<half>半)?|(?P<halfonly>半)个?)"
        span = rf"{amount}(?P<unit>{unit})(?:(?P<n2>{NUM})(?P<unit2>{unit}))?"
        shift = _alt(self.week_shifts)
        return (
            _Shape(
                re.compile(rf"(?:从)?{clock}(?:{_alt(self.range_words)}){clock2}"),
                self._range,
            ),
            _Shape(
                re.compile(rf"(?:{_alt(self.before)}){span}(?:{_alt(self.after)})?"),
                self._offset,
            ),
            _Shape(re.compile(rf"{span}(?:{_alt(self.after)})"), self._offset),
            _Shape(re.compile(span), self._duration),
            _Shape(re.compile(_alt(self.periods)), self._period),
            _Shape(re.compile(_alt(self.month_ends)), self._month_end),
            _Shape(re.compile(_alt(self.relative_parts)), self._relative_part),
            _Shape(re.compile(_alt(self.relative)), self._relative),
            _Shape(
                re.compile(
                    rf"(?:{_alt(self.repeat)})?(?P<shift>{shift})?个?"
                    rf"(?:{_alt(self.week_words)})(?P<day>{_alt(self.weekdays)})"
                ),
                self._weekday,
            ),
            _Shape(
                re.compile(
                    rf"(?:(?P<y>\d{{4}}|[零〇一二三四五六七八九]{{4}})年)?"
                    rf"(?:(?P<mo>{NUM})月份?)?(?P<d>{NUM})(?:号|日)(?![会楼线房门车位口机厅桌院])"
                ),
                self._date,
            ),
            _Shape(re.compile(clock), self._clock),
            _Shape(re.compile(_alt(self.parts)), self._part),
            _Shape(re.compile(_alt(self.recurrences)), lambda m: {}),
        )

    def _clock_pattern(self, tag: str) -> str:
        minutes = (
            rf"(?:(?P<half{tag}>半)|(?P<q{tag}>一刻)|(?P<q3{tag}>三刻)|整|"
            rf"(?P<m{tag}>{NUM})(?:分(?!钟)|(?![个小钟天周号月刻分])))"
        )
        return (
            rf"(?:(?P<hm{tag}>\d{{1,2}}:\d{{2}})|(?P<h{tag}>{NUM})(?:点钟|点|時(?![间候刻])|时(?![间候刻]))(?:{minutes})?)"
            rf"(?P<mer{tag}>am|pm)?"
        )

    def _read_clock(self, match: re.Match[str], tag: str = "") -> Clock | None:
        meridiem = match.group(f"mer{tag}")
        if match.group(f"hm{tag}"):
            hour_text, minute_text = match.group(f"hm{tag}").split(":")
            hour, minute = int(hour_text), int(minute_text)
            return Clock(hour, minute, meridiem) if hour <= 24 and minute < 60 else None
        hour_value = number(match.group(f"h{tag}"))
        if hour_value is None or not hour_value.is_integer() or not 0 <= hour_value <= 24:
            return None
        minute = 0
        if match.group(f"half{tag}"):
            minute = 30
        elif match.group(f"q{tag}"):
            minute = 15
        elif match.group(f"q3{tag}"):
            minute = 45
        elif match.group(f"m{tag}"):
            value = number(match.group(f"m{tag}"))
            if value is None or not value.is_integer() or not 0 <= value < 60:
                return None
            minute = int(value)
        return Clock(int(hour_value), minute, meridiem)

    def _clock(self, match: re.Match[str]) -> dict[str, Any] | None:
        clock = self._read_clock(match)
        if clock is None:
            return None
        return {"clock": clock}

    def _range(self, match: re.Match[str]) -> dict[str, Any] | None:
        first, second = self._read_clock(match), self._read_clock(match, "2")
        if first is None or second is None:
            return None
        return {"clock": first, "clock_end": second}

    def _minutes(self, match: re.Match[str]) -> int | None:
        if match.group("halfonly"):
            value = 0.5
        else:
            amount = number(match.group("n"))
            if amount is None:
                return None
            value = amount + (0.5 if match.group("half") else 0.0)
        minutes = value * self.units[match.group("unit")]
        if match.group("n2"):
            extra = number(match.group("n2"))
            if extra is None:
                return None
            minutes += extra * self.units[match.group("unit2")]
        return int(minutes)

    def _duration(self, match: re.Match[str]) -> dict[str, Any] | None:
        minutes = self._minutes(match)
        return {"duration": minutes} if minutes else None

    def _offset(self, match: re.Match[str]) -> dict[str, Any] | None:
        minutes = self._minutes(match)
        return {"offset_minutes": minutes} if minutes else None

    def _period(self, match: re.Match[str]) -> dict[str, Any]:
        return {"period": self.periods[match.group()]}

    def _month_end(self, match: re.Match[str]) -> dict[str, Any]:
        return {"month_end": self.month_ends[match.group()]}

    def _relative(self, match: re.Match[str]) -> dict[str, Any]:
        return {"days_ahead": self.relative[match.group()]}

    def _relative_part(self, match: re.Match[str]) -> dict[str, Any]:
        days, part = self.relative_parts[match.group()]
        return {"days_ahead": days, "part": (part[0], part[1])}

    def _weekday(self, match: re.Match[str]) -> dict[str, Any]:
        shift = self.week_shifts.get(match.group("shift") or "", 0)
        return {"weekday": self.weekdays[match.group("day")], "week_shift": shift}

    def _date(self, match: re.Match[str]) -> dict[str, Any] | None:
        day = number(match.group("d"))
        month = number(match.group("mo")) if match.group("mo") else None
        year = None
        if match.group("y"):
            digits = match.group("y").translate(_YEAR_DIGITS)
            year = int(digits) if digits.isdigit() else None
        if day is None or not 1 <= day <= 31 or (month is not None and not 1 <= month <= 12):
            return None
        return {
            "month_day": int(day),
            "month": int(month) if month is not None else None,
            "year": year,
        }

    def _part(self, match: re.Match[str]) -> dict[str, Any]:
        return {"part": self.parts[match.group()]}

    # -- scanning ------------------------------------------------------------

    def scan(self, words: Sequence[str], breaks: frozenset[int] = frozenset()) -> list[Piece]:
        """All date/time phrases in ``words`` (character tokens), left to right.

        ``breaks``: indices of tokens said after a pause; no phrase spans one
        ("记一下 下周一" is not 下下周一).
        """
        text, starts, token_ends = _joined(words, breaks)
        ends = {offset: index + 1 for index, offset in enumerate(token_ends)}
        pieces: list[Piece] = []
        i = 0
        while i < len(words):
            best = None
            if text[starts[i]] in self._starts:
                best = self._longest(text, starts[i], ends, words, i)
            if best is None:
                i += 1
                continue
            end, fields = best
            pieces.append(Piece(i, end, **fields))
            i = end
        return _dates_in_named_periods(pieces)

    def _longest(
        self, text: str, offset: int, ends: Mapping[int, int], words: Sequence[str], i: int
    ) -> tuple[int, dict[str, Any]] | None:
        best: tuple[int, dict[str, Any]] | None = None
        for shape in self._shapes:
            match = shape.regex.match(text, offset)
            if match is None or match.end() not in ends:
                continue
            end = ends[match.end()]
            if best is not None and end <= best[0]:
                continue
            fields = shape.build(match)
            if fields is None or self._not_a_time(match, fields, words, i):
                continue
            best = (end, fields)
        return best

    def _not_a_time(
        self, match: re.Match[str], fields: Mapping[str, Any], words: Sequence[str], i: int
    ) -> bool:
        """一点 after 早/晚/快 is "a little" (晚一点到), not one o'clock."""
        clock = fields.get("clock")
        if clock is None or fields.get("clock_end") is not None:
            return False
        if match.group() not in ("一点", "一点钟"):
            return False
        before = words[i - 1] if i > 0 else ""
        after = words[i + 2] if i + 2 < len(words) else ""
        return before in self.no_one_oclock or after == "儿"


def _dates_in_named_periods(pieces: list[Piece]) -> list[Piece]:
    """A day said inside a period named before it.

    "下周的周一", "下个星期 周三": the weekday of that week; "下个月1号": the 1st
    of that month; "这周末上午十点": Saturday at ten (a weekend with a time).
    The period's own piece stays (its words are still taken out) but says nothing.
    """
    out: list[Piece] = []
    for index, piece in enumerate(pieces):
        previous = out[-1] if out else None
        period = previous.period if previous is not None else None
        if previous is not None and period is not None:
            folded = _folded(period, piece)
            if folded is not None:
                out[-1] = Piece(previous.start, previous.end)
                out.append(folded)
                continue
        out.append(_weekend_day(piece, pieces[index + 1 :]))
    return out


def _weekend_day(piece: Piece, later: Sequence[Piece]) -> Piece:
    """A weekend said with a time of day is its Saturday."""
    if piece.period is None or piece.period[0] != "weekend":
        return piece
    if any(p.clock is not None or p.part is not None for p in later):
        return replace(piece, period=None, weekday=5, week_shift=piece.period[1])
    return piece


def _folded(period: tuple[str, int], piece: Piece) -> Piece | None:
    unit, shift = period
    if unit == "week" and piece.weekday is not None and piece.week_shift == 0:
        return replace(piece, week_shift=shift)
    if unit == "month" and piece.month_day is not None and piece.month is None:
        return replace(piece, month_shift=shift)
    return None


_YEAR_DIGITS = str.maketrans("零〇一二三四五六七八九", "00123456789")


def _joined(
    words: Sequence[str], breaks: frozenset[int] = frozenset()
) -> tuple[str, list[int], list[int]]:
    """The tokens as one string, with each token's start and end offset.

    Neighbouring non-CJK words are spaced; a "|" marks a pause (``breaks``),
    which no phrase pattern matches across.
    """
    starts: list[int] = []
    ends: list[int] = []
    parts: list[str] = []
    position = 0
    for index, word in enumerate(words):
        if index and (index in breaks or (len(word) > 1 and len(words[index - 1]) > 1)):
            parts.append("|" if index in breaks else " ")
            position += 1
        starts.append(position)
        parts.append(word)
        position += len(word)
        ends.append(position)
    starts.append(position)
    return "".join(parts), starts, ends


def _alt(words: Mapping[str, Any] | Sequence[str]) -> str:
    """Regex alternation of ``words``, longest first."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _first_chars(pattern: str) -> set[str]:
    """Characters a match may start with: every CJK character, digit and letter of
    the pattern (a superset, so the cheap test never skips a real phrase)."""
    return {ch for ch in pattern if ch.isalnum() or ord(ch) > 0x2E7F} | set("0123456789")
