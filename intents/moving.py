"""Times of a move request: which meeting (the old time) and where to (the new time).

"move my 3 o'clock to 4", "push the budget check-in to tomorrow at 10",
"reschedule my meeting with li wei to 5 pm": the time phrases before the
word that introduces the target ("to", "for", "till", "until") describe the
meeting to move and become ``start`` (and ``end`` for a whole day); the ones
after it become ``new_start``. A range the scanner read as one phrase
("3 o'clock to 4") is split at its "to". A bare number after "to" ("to 4")
is a time of day here, although it is not one elsewhere ("to 4 people").

``keep`` says what the driver left out of the new time, so the dialog can
take it from the meeting being moved: ``"day"`` when only a time of day was
said ("to 4 pm": same day), ``"time"`` when only a day was said ("to
Friday": same time of day).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, time
from typing import Any

from intents.result import SlotValue
from intents.timeparse import Piece, TimeScanner
from intents.when import resolve

#: Words that introduce the new time of a move.
TARGET_WORDS = frozenset({"to", "for", "till", "until", "into", "onto"})
#: Words inside a scanned range ("3 o'clock to 4") where a move is split.
_RANGE_WORDS = ("to", "till", "until", "through")


def move_times(
    scanner: TimeScanner | Any,
    words: Sequence[str],
    pieces: Sequence[Piece],
    now: datetime,
) -> dict[str, SlotValue]:
    """``start``/``end`` of the meeting meant, ``new_start`` and ``keep`` of the target.

    A scanner may bring its own target and range words (Chinese: 到, 成, 至).
    """
    targets = getattr(scanner, "target_words", TARGET_WORDS)
    ranges = getattr(scanner, "range_words", _RANGE_WORDS)
    split = _split_ranges(words, pieces, ranges)
    boundary, target = _target(scanner, words, split, targets)
    before = [p for p in split if boundary is None or p.end <= boundary]
    slots: dict[str, SlotValue] = {}
    if before:
        old = resolve(before, now, working_start=scanner.working_start, question=True)
        if old.start is not None:
            slots["start"] = old.start
            if old.end is not None and old.start.time() == time(0):
                slots["end"] = old.end
    if target:
        new = resolve(target, now, working_start=scanner.working_start)
        if new.start is not None:
            slots["new_start"] = new.start
            keep = left_out(target)
            if keep:
                slots["keep"] = keep
    return slots


def left_out(pieces: Sequence[Piece]) -> str:
    """ "day" when only a time of day was said, "time" when only a day; else ""."""
    if any(p.offset_minutes is not None for p in pieces):
        return ""  # "in 20 minutes" is a moment, nothing is left out
    has_day = any(
        p.days_ahead is not None
        or p.weekday is not None
        or p.month_day is not None
        or p.month is not None
        or p.period is not None
        or p.month_end is not None
        for p in pieces
    )
    has_clock = any(p.clock is not None or p.part is not None for p in pieces)
    if has_clock and not has_day:
        return "day"
    if has_day and not has_clock:
        return "time"
    return ""


def _split_ranges(
    words: Sequence[str], pieces: Sequence[Piece], ranges: Sequence[str] = _RANGE_WORDS
) -> list[Piece]:
    """ "3 o'clock to 4" -> the 3 o'clock (old) and the 4 (new)."""
    split: list[Piece] = []
    for piece in pieces:
        middle = next((i for i in range(piece.start + 1, piece.end) if words[i] in ranges), None)
        if piece.clock_end is None or middle is None:
            split.append(piece)
            continue
        split.append(replace(piece, end=middle, clock_end=None))
        split.append(Piece(middle + 1, piece.end, clock=piece.clock_end, part=piece.part))
    return split


def _target(
    scanner: TimeScanner | Any,
    words: Sequence[str],
    pieces: Sequence[Piece],
    targets: frozenset[str] = TARGET_WORDS,
) -> tuple[int | None, list[Piece]]:
    """The first target word followed by a time, and the time phrases after it.

    The scanner may have taken the word into the phrase ("for friday").
    """
    inside = {i for p in pieces for i in range(p.start + 1, p.end)}
    for b, word in enumerate(words):
        if word not in targets or b in inside:
            continue
        after = [p for p in pieces if p.start >= b]
        if after and after[0].start in (b, b + 1):
            return b, after
        bare = _bare_clock(scanner, words, b) if isinstance(scanner, TimeScanner) else None
        if bare is not None:
            return b, [bare, *after]
    return None, []


def _bare_clock(scanner: TimeScanner, words: Sequence[str], b: int) -> Piece | None:
    """ "to 4" / "to four thirty": read the words after ``b`` as "at 4"."""
    rest = ("at", *words[b + 1 :])
    found = [p for p in scanner.scan(rest) if p.start == 0 and p.clock is not None]
    if not found:
        return None
    piece = found[0]
    return replace(piece, start=b + 1, end=b + piece.end)
