"""Turn scanned date/time pieces into aware datetimes (dateutil arithmetic).

Rules (also in intents/README.md):

* A day without a time: for questions, the whole day (00:00 to next 00:00);
  for new events, an all-day event.
* A time without a day: today if still ahead of ``now``, otherwise tomorrow.
* A bare hour ("at 3") is the next such hour in working hours: hours before
  ``working_hours_start`` are afternoon (3 -> 15:00), later ones morning.
* "next Friday" is the Friday of next week (weeks start on Monday); "Friday"
  or "this Friday" is the coming one (today if today is Friday).
* "the 3rd" is the next 3rd of a month (this month if not past).
* "this afternoon" is 12:00-18:00 (the parts of day are in time.yaml).
* "from 2 to 3" is 14:00-15:00; an end before the start moves 12 hours later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import FR, MO, SA, SU, TH, TU, WE, relativedelta, weekday

from intents.timeparse import Clock, Piece

_DAY = timedelta(days=1)
WEEKDAYS = (MO, TU, WE, TH, FR, SA, SU)


@dataclass(frozen=True, slots=True)
class When:
    """Resolved times: any field may be None when it was not said."""

    start: datetime | None = None
    end: datetime | None = None
    duration: int | None = None
    all_day: bool = False


@dataclass(frozen=True, slots=True)
class _Said:
    """Everything the pieces of one utterance said, merged."""

    day: date | None = None
    clock: Clock | None = None
    clock_end: Clock | None = None
    part: tuple[int, int] | None = None
    offset: int | None = None
    duration: int | None = None
    period: tuple[date, date] | None = None


def resolve(
    pieces: Sequence[Piece], now: datetime, *, working_start: int = 8, question: bool = False
) -> When:
    """Resolve the pieces against ``now``; ``question`` asks for a range to look at."""
    said = _merge(pieces, now.date())
    if said.offset is not None and said.clock is not None and said.offset >= 1440:
        day = now.date() + timedelta(days=said.offset // 1440)
        said = _Said(day, said.clock, said.clock_end, said.part, None, said.duration)
    if said.offset is not None:
        start = now + timedelta(minutes=said.offset)
        return _with_duration(start, said.duration, question)
    if said.clock is not None:
        return _timed(said, now, working_start, question)
    if said.period is not None:
        lo, hi = said.period
        start = max(_at(lo, time(0), now), now) if lo <= now.date() < hi else _at(lo, time(0), now)
        return When(start, _at(hi, time(0), now))
    if said.part is not None:
        day = said.day or now.date()
        return When(_at(day, time(said.part[0]), now), _at(day, time(said.part[1] % 24), now))
    if said.day is not None:
        start = _at(said.day, time(0), now)
        return When(start, start + _DAY, all_day=not question)
    if said.duration is not None:
        return When(duration=said.duration)
    return When()


def _timed(said: _Said, now: datetime, working_start: int, question: bool) -> When:
    assert said.clock is not None
    part_start = said.part[0] if said.part else None
    hour = _hour24(said.clock, working_start, part_start)
    day = said.day
    start = _at(day or now.date(), time(hour, said.clock.minute), now)
    if day is None and start <= now:
        start = start + _DAY
    if said.clock_end is not None:
        end_hour = _hour24(said.clock_end, working_start, part_start)
        end = _at(start.date(), time(end_hour, said.clock_end.minute), now)
        while end <= start:
            end = end + timedelta(hours=12)
        minutes = int((end - start).total_seconds() // 60)
        return When(start, end, minutes)
    return _with_duration(start, said.duration, question)


def _with_duration(start: datetime, duration: int | None, question: bool) -> When:
    if duration is None:
        return When(start)
    return When(start, start + timedelta(minutes=duration), duration)


def _hour24(clock: Clock, working_start: int, part_start: int | None) -> int:
    hour = clock.hour % 24
    if clock.meridiem == "pm" and hour < 12:
        return hour + 12
    if clock.meridiem == "am":
        return 0 if hour == 12 else hour
    if part_start is not None and part_start >= 12 and hour < 12:
        return hour + 12
    if 1 <= hour < working_start and part_start is None:
        return hour + 12
    return hour


def _merge(pieces: Sequence[Piece], today: date) -> _Said:
    said = _Said()
    fields: dict[str, object] = {}
    for piece in pieces:
        day = _day(piece, today)
        if day is not None:
            fields.setdefault("day", day)
        for name, value in (
            ("clock", piece.clock),
            ("clock_end", piece.clock_end),
            ("part", piece.part),
            ("offset", piece.offset_minutes),
            ("duration", piece.duration),
            ("period", _period(piece, today)),
        ):
            if value is not None:
                fields.setdefault(name, value)
    return _Said(**fields) if fields else said  # type: ignore[arg-type]


def _day(piece: Piece, today: date) -> date | None:
    if piece.days_ahead is not None:
        return today + timedelta(days=piece.days_ahead)
    if piece.weekday is not None:
        if piece.week_shift >= 1:
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=piece.week_shift)
            return monday + timedelta(days=piece.weekday)
        if piece.week_shift == -1:
            return today + relativedelta(days=-1, weekday=_weekday(piece.weekday, back=True))
        return today + relativedelta(weekday=_weekday(piece.weekday))
    if piece.month_day is not None:
        return _calendar_date(piece, today)
    if piece.month_end is not None:
        return today + relativedelta(months=piece.month_end, day=31)
    return None


def _weekday(index: int, back: bool = False) -> weekday:
    return WEEKDAYS[index](-1) if back else WEEKDAYS[index](+1)


def _calendar_date(piece: Piece, today: date) -> date | None:
    assert piece.month_day is not None
    try:
        if piece.month is None and piece.month_shift:
            return today + relativedelta(months=piece.month_shift, day=piece.month_day)
        if piece.month is None:
            candidate = today + relativedelta(day=piece.month_day)
            if candidate.day != piece.month_day or candidate < today:
                candidate = today + relativedelta(months=1, day=piece.month_day)
            return candidate
        year = piece.year or today.year
        candidate = date(year, piece.month, piece.month_day)
        if piece.year is None and candidate < today:
            candidate = date(year + 1, piece.month, piece.month_day)
        return candidate
    except ValueError:
        return None


def _period(piece: Piece, today: date) -> tuple[date, date] | None:
    if piece.period is None:
        return None
    unit, shift = piece.period
    monday = today - timedelta(days=today.weekday())
    if unit in ("week", "rest_week"):
        lo = monday + timedelta(weeks=shift)
        return (today if unit == "rest_week" else lo), lo + timedelta(weeks=1)
    if unit == "weekend":
        saturday = monday + timedelta(days=5, weeks=shift)
        return saturday, saturday + timedelta(days=2)
    if unit == "rest_day":
        return today, today + _DAY
    if unit in ("month", "rest_month"):
        first = today.replace(day=1) + relativedelta(months=shift)
        return (today if unit == "rest_month" else first), first + relativedelta(months=1)
    first_of_year = date(today.year + shift, 1, 1)
    return first_of_year, date(today.year + shift + 1, 1, 1)


def _at(day: date, clock: time, now: datetime) -> datetime:
    """An aware datetime on ``day`` at ``clock`` in ``now``'s zone."""
    return datetime.combine(day, clock, tzinfo=now.tzinfo)
