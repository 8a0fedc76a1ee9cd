"""Find date and time phrases in a token sequence ("tomorrow at half past four").

The scanner walks the words left to right and, at each position, tries the
phrase shapes it knows (relative days, weekdays, calendar dates, clock times,
parts of the day, offsets, durations, periods, ranges). Each phrase becomes a
:class:`Piece` that records only what was said; :mod:`intents.when` turns the
pieces into aware datetimes with dateutil arithmetic. Vocabulary comes from
``grammar/<locale>/time.yaml`` and ``numbers.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from intents.numbers import NumberWords


@dataclass(frozen=True, slots=True)
class Clock:
    """A time of day as said: ``meridiem`` is None when am/pm was not said."""

    hour: int
    minute: int = 0
    meridiem: str | None = None


@dataclass(frozen=True, slots=True)
class Piece:
    """One date/time phrase covering words ``start:end``."""

    start: int
    end: int
    days_ahead: int | None = None
    weekday: int | None = None
    week_shift: int = 0
    month_day: int | None = None
    month: int | None = None
    year: int | None = None
    clock: Clock | None = None
    clock_end: Clock | None = None
    part: tuple[int, int] | None = None
    offset_minutes: int | None = None
    duration: int | None = None
    period: tuple[str, int] | None = None
    #: The last day of the month, this one (0) or a later one ("月底", "下个月底").
    month_end: int | None = None
    #: With ``month_day`` and no ``month``: that day of a later month ("下个月1号").
    month_shift: int | None = None


Parser = Callable[[Sequence[str], int], Piece | None]


class TimeScanner:
    """Scans words for date/time phrases using one locale's vocabulary."""

    def __init__(self, data: Mapping[str, Any], numbers: NumberWords) -> None:
        self.numbers = numbers
        self.weekdays: dict[str, int] = dict(data["weekdays"])
        self.months: dict[str, int] = dict(data["months"])
        self.relative_days = _phrases(data["relative_days"])
        self.parts = {k: (int(v[0]), int(v[1])) for k, v in data["parts_of_day"].items()}
        self.part_prefixes = _phrases(dict.fromkeys(data["part_prefixes"], True))
        self.clock_words = {k: (int(v[0]), int(v[1])) for k, v in data["clock_words"].items()}
        self.meridiem = _phrases(data["meridiem"])
        self.oclock = _phrases(dict.fromkeys(data["oclock"], True))
        self.clock_prefixes = frozenset(data["clock_prefixes"])
        self.units: dict[str, int] = dict(data["units"])
        self.periods = frozenset(data["periods"])
        self.period_prefixes: dict[str, int] = dict(data["period_prefixes"])
        self.working_start = int(data["working_hours_start"])
        self.weekday_prefixes = ("on", "for", "by", "until", *data.get("repeat_words", ()))
        self.recurrences = _phrases(dict.fromkeys(data.get("recurrences", ()), True))
        self._parsers: tuple[Parser, ...] = (
            self._range,
            self._offset,
            self._duration,
            self._period,
            self._relative_day,
            self._weekday,
            self._date,
            self._clock_phrase,
            self._part,
            self._recurrence,
        )

    def scan(self, words: Sequence[str]) -> list[Piece]:
        """All date/time phrases in ``words``, left to right, not overlapping."""
        words = list(words)  # the shape parsers compare slices against
        pieces: list[Piece] = []
        i = 0
        while i < len(words):
            best = None
            for parse in self._parsers:
                piece = parse(words, i)
                if piece and (best is None or piece.end > best.end):
                    best = piece
            if best is None:
                i += 1
                continue
            pieces.append(best)
            i = best.end
        return pieces

    # -- phrase shapes ---------------------------------------------------

    def _relative_day(self, words: Sequence[str], i: int) -> Piece | None:
        j = _skip(words, i, ("on", "for", "later", "earlier"))
        hit = _longest(self.relative_days, words, j)
        if hit is None:
            return None
        value, end = hit
        part = self.parts.get(words[j]) if words[j] in self.parts else None
        piece = Piece(i, end, days_ahead=int(value), part=part)
        return self._with_part(words, piece)

    def _recurrence(self, words: Sequence[str], i: int) -> Piece | None:
        """ "every day", "weekly": part of the time phrase, though no date of its own."""
        hit = _longest(self.recurrences, words, i)
        return Piece(i, hit[1]) if hit else None

    def _weekday(self, words: Sequence[str], i: int) -> Piece | None:
        j = _skip(words, i, self.weekday_prefixes)
        shift = 0
        if words[j : j + 2] in (["this", "coming"], ["this", "upcoming"]):
            j += 1  # "this coming friday" is the coming one
        if j < len(words) and words[j] in ("this", "next", "coming", "upcoming", "last"):
            shift = {"next": 1, "last": -1}.get(words[j], 0)
            j += 1
        if j >= len(words):
            return None
        day = self.weekdays.get(_base(words[j]))
        if day is None:
            return None
        return self._with_part(words, Piece(i, j + 1, weekday=day, week_shift=shift))

    def _date(self, words: Sequence[str], i: int) -> Piece | None:
        j = _skip(words, i, ("on", "for", "by", "until"))
        j = _skip(words, j, ("the",))
        month = self.months.get(_base(words[j])) if j < len(words) else None
        if month is not None:
            day = self._day_number(words, j + 1)
            if day is None:
                return None
            value, end = day
            year, end = self._year(words, end)
            return Piece(i, end, month_day=value, month=month, year=year)
        day = self.numbers.ordinal(words, j)
        if day is None or not 1 <= day[0] <= 31:
            return None
        value, end = day
        month = self.months.get(_base(words[end])) if end < len(words) else None
        if month is not None:  # "the 10th march", "on ten march"
            year, after = self._year(words, end + 1)
            return Piece(i, after, month_day=value, month=month, year=year)
        if end < len(words) and words[end] == "of" and end + 1 < len(words):
            month = self.months.get(_base(words[end + 1]))
            if month is not None:
                year, after = self._year(words, end + 2)
                return Piece(i, after, month_day=value, month=month, year=year)
        if end < len(words) and words[end] in ("one", "ones"):
            return None  # "the second one" picks a candidate, it is not a date
        if words[i] not in ("the", "on", "for", "by", "until") and j == i:
            return None
        return Piece(i, end, month_day=value)

    def _day_number(self, words: Sequence[str], i: int) -> tuple[int, int] | None:
        j = _skip(words, i, ("the",))
        hit = self.numbers.ordinal(words, j)
        if hit is None:
            number = self.numbers.cardinal(words, j)
            hit = (int(number[0]), number[1]) if number else None
        if hit is None or not 1 <= hit[0] <= 31:
            return None
        return hit

    def _year(self, words: Sequence[str], i: int) -> tuple[int | None, int]:
        number = self.numbers.cardinal(words, i)
        if number and 1900 <= number[0] <= 2100:
            return int(number[0]), number[1]
        return None, i

    def _clock_phrase(self, words: Sequence[str], i: int) -> Piece | None:
        introduced = i < len(words) and words[i] in self.clock_prefixes
        hit = self._clock(words, i + 1 if introduced else i)
        if hit is None:
            return None
        clock, end, explicit = hit
        if not (introduced or explicit):
            return None
        return self._with_part(words, Piece(i, end, clock=clock))

    def _clock(self, words: Sequence[str], i: int) -> tuple[Clock, int, bool] | None:
        """A clock time: ``(clock, end, explicit)``; explicit = am/pm/o'clock said."""
        if i >= len(words):
            return None
        if words[i] in self.clock_words:
            hour, minute = self.clock_words[words[i]]
            return Clock(hour, minute, "pm" if hour == 12 else "am"), i + 1, True
        core = self._clock_core(words, i)
        if core is None:
            return None
        hour, minute, end, explicit = core
        meridiem = _longest(self.meridiem, words, end)
        if meridiem:
            return Clock(hour, minute, str(meridiem[0])), meridiem[1], True
        oclock = _longest(self.oclock, words, end)
        if oclock:
            return Clock(hour, minute), oclock[1], True
        return Clock(hour, minute), end, explicit

    def _clock_core(self, words: Sequence[str], i: int) -> tuple[int, int, int, bool] | None:
        if words[i] == "a" and i + 1 < len(words) and words[i + 1] == "quarter":
            i += 1  # "a quarter past six"
        if (
            words[i] in ("half", "quarter")
            and i + 2 < len(words)
            and words[i + 1] in ("past", "after", "to", "before")
        ):
            hour = self._hour(words, i + 2)
            if hour is None:
                return None
            minutes = 30 if words[i] == "half" else 15
            if words[i + 1] in ("to", "before"):
                return (hour[0] - 1) % 12 or 12, 60 - minutes, hour[1], True
            return hour[0], minutes, hour[1], True
        british = self._half_hour(words, i)
        if british is not None:
            return british
        number = self.numbers.cardinal(words, i)
        military = _military(words, i, number)
        if military is not None:
            return military
        if number and number[1] < len(words) and words[number[1]] in ("past", "after", "to"):
            hour = self._hour(words, number[1] + 1)
            if hour and 0 < number[0] < 60 and words[number[1]] != "to":
                return hour[0], int(number[0]), hour[1], True
        if words[i].isdigit() and len(words[i]) in (3, 4):
            value = int(words[i])  # "1530", "930": hours and minutes run together
            if value // 100 < 24 and value % 100 < 60:
                return value // 100, value % 100, i + 1, True
        hour = self._hour(words, i)
        if hour is None:
            return None
        minute = self._minutes(words, hour[1])
        if minute:
            return hour[0], minute[0], minute[1], True
        return hour[0], 0, hour[1], False

    def _half_hour(self, words: Sequence[str], i: int) -> tuple[int, int, int, bool] | None:
        """ "half three": half past three, as said in Britain (not "half an hour")."""
        if words[i] != "half" or i + 1 >= len(words):
            return None
        hour = self._hour(words, i + 1)
        if hour is None or not 1 <= hour[0] <= 12:
            return None
        if hour[1] < len(words) and words[hour[1]] in self.units:
            return None  # "half two hours" is no clock
        return hour[0], 30, hour[1], True

    def _hour(self, words: Sequence[str], i: int) -> tuple[int, int] | None:
        number = self.numbers.cardinal(words, i)
        if number is None or not number[0].is_integer():
            return None
        value = int(number[0])
        return (value, number[1]) if 0 <= value <= 24 else None

    def _minutes(self, words: Sequence[str], i: int) -> tuple[int, int] | None:
        if i < len(words) and words[i] in ("oh", "o") and i + 1 < len(words):
            number = self.numbers.cardinal(words, i + 1)
            if number and number[0] < 10:
                return int(number[0]), number[1]
            return None
        number = self.numbers.cardinal(words, i)
        if number and number[0].is_integer() and 0 <= number[0] < 60:
            if number[1] < len(words) and words[number[1]] in self.units:
                return None  # "at 3 15 minutes" is not 3:15
            return int(number[0]), number[1]
        return None

    def _part(self, words: Sequence[str], i: int) -> Piece | None:
        prefix = _longest(self.part_prefixes, words, i)
        j = prefix[1] if prefix else i
        if j >= len(words) or words[j] not in self.parts:
            return None
        days = 1 if prefix and words[i] == "tomorrow" else None
        return Piece(i, j + 1, part=self.parts[words[j]], days_ahead=days)

    def _with_part(self, words: Sequence[str], piece: Piece) -> Piece:
        """Extend a day or time with a following part of day ("friday morning")."""
        end = piece.end
        if end < len(words) and words[end] in self.parts and piece.clock is None:
            return replace(piece, end=end + 1, part=self.parts[words[end]])
        if end + 2 < len(words) + 1 and words[end : end + 2] in (["in", "the"], ["this"]):
            after = end + (2 if words[end] == "in" else 1)
            if after < len(words) and words[after] in self.parts:
                part = self.parts[words[after]]
                clock = piece.clock
                if clock and clock.meridiem is None:
                    clock = Clock(clock.hour, clock.minute, "am" if part[0] < 12 else "pm")
                return replace(piece, end=after + 1, part=part, clock=clock)
        return piece

    def _amount(self, words: Sequence[str], i: int) -> tuple[float, int] | None:
        """A quantity before a unit: "20", "twenty", "an", "half an", "a couple of"."""
        if i >= len(words):
            return None
        if words[i : i + 3] == ["a", "couple", "of"]:
            return 2.0, i + 3
        if words[i : i + 2] == ["a", "few"]:
            return 3.0, i + 2
        if words[i] in ("a", "an", "one"):
            return 1.0, i + 1
        if words[i] == "half" and i + 1 < len(words) and words[i + 1] in ("a", "an"):
            return 0.5, i + 2
        return self.numbers.cardinal(words, i)

    def _span(self, words: Sequence[str], i: int) -> tuple[int, int] | None:
        """Amount + unit (+ "and a half"): ``(minutes, end)``."""
        amount = self._amount(words, i)
        if amount is None or amount[1] >= len(words):
            return None
        unit = self.units.get(words[amount[1]])
        if unit is None:
            return None
        value, end = amount[0] * unit, amount[1] + 1
        if words[end : end + 3] == ["and", "a", "half"]:
            value, end = value + unit / 2, end + 3
        return int(value), end

    def _offset(self, words: Sequence[str], i: int) -> Piece | None:
        if words[i] == "in" or words[i : i + 2] == ["in", "about"]:
            span = self._span(words, i + (2 if words[i + 1 : i + 2] == ["about"] else 1))
            if span:
                return Piece(i, span[1], offset_minutes=span[0])
        span = self._span(words, i)
        if span and words[span[1] : span[1] + 2] in (["from", "now"], ["from", "today"]):
            return Piece(i, span[1] + 2, offset_minutes=span[0])
        return None

    def _duration(self, words: Sequence[str], i: int) -> Piece | None:
        start = i + 1 if words[i] in ("for", "lasting") else i
        span = self._span(words, start)
        if span is None:
            return None
        end = span[1]
        if end < len(words) and words[end] in ("long", "meeting", "call", "event"):
            end += 1 if words[end] == "long" else 0
        elif start == i:
            return None
        return Piece(i, end, duration=span[0])

    def _period(self, words: Sequence[str], i: int) -> Piece | None:
        j = _skip(words, i, ("for", "in", "during", "over"))
        rest = words[j : j + 4] == ["the", "rest", "of", "the"] and j + 4 < len(words)
        if rest and (words[j + 4] in self.periods or words[j + 4] == "day"):
            return Piece(i, j + 5, period=("rest_" + words[j + 4], 0))
        if j + 1 >= len(words) or words[j] not in self.period_prefixes:
            return None
        if words[j + 1] in self.periods:
            return Piece(i, j + 2, period=(words[j + 1], self.period_prefixes[words[j]]))
        return None

    def _range(self, words: Sequence[str], i: int) -> Piece | None:
        introduced = words[i] in ("from", "between")
        j = i + 1 if introduced else i
        first = self._clock(words, j)
        if first is None or first[1] >= len(words):
            return None
        if words[first[1]] not in ("to", "till", "until", "and", "through"):
            return None
        if words[first[1]] == "and" and words[i] != "between":
            return None
        second = self._clock(words, first[1] + 1)
        if second is None or not (introduced or first[2] or second[2]):
            return None
        start_clock, end_clock = first[0], second[0]
        if start_clock.meridiem is None and end_clock.meridiem:
            start_clock = Clock(start_clock.hour, start_clock.minute, end_clock.meridiem)
        return self._with_part(words, Piece(i, second[1], clock=start_clock, clock_end=end_clock))


def _phrases(mapping: Mapping[str, Any]) -> dict[tuple[str, ...], Any]:
    return {tuple(str(k).split()): v for k, v in mapping.items()}


def _longest(
    phrases: Mapping[tuple[str, ...], Any], words: Sequence[str], i: int
) -> tuple[Any, int] | None:
    for size in (4, 3, 2, 1):
        key = tuple(words[i : i + size])
        if len(key) == size and key in phrases:
            return phrases[key], i + size
    return None


def _skip(words: Sequence[str], i: int, optional: tuple[str, ...]) -> int:
    return i + 1 if i < len(words) and words[i] in optional else i


def _base(word: str) -> str:
    return word.removesuffix("'s")


def _military(
    words: Sequence[str], i: int, number: tuple[float, int] | None
) -> tuple[int, int, int, bool] | None:
    """ "fifteen hundred (hours)", "oh nine hundred": a 24-hour clock said in hundreds."""
    if number is None or "hundred" not in words[i : number[1]]:
        return None
    value = int(number[0])
    if number[0] != value or not 100 <= value <= 2400 or value % 100 >= 60:
        return None
    end = number[1] + 1 if number[1] < len(words) and words[number[1]] == "hours" else number[1]
    return value // 100 % 24, value % 100, end, True
