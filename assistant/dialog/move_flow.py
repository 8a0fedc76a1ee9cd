"""Moving a meeting: "move my 3 o'clock to 4", "push the budget check-in to tomorrow at 10".

The parser reads a move as ``cancel_event`` with ``move=True`` (see
``intents/README.md``). The flow finds the meeting (by its start time,
title and people), asks for the new time if none was said, reads the move
back with a warning about what is already at the new time, and only after
"yes" creates the meeting at its new time, then removes the old one: a
failure part-way never loses the meeting.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta

from rapidfuzz import fuzz

from assistant.dialog.actions import CancelEvent, CreateEvent, FetchEvents
from assistant.dialog.common import (
    Outcome,
    ask,
    finish,
    next_day_same_time,
    p,
    unsure_yes,
    wait_for,
)
from assistant.dialog.contacts import resolve, unknown_name
from assistant.dialog.events import Done, Failed, Fetched, Utterance
from assistant.dialog.names import display_name
from assistant.dialog.prompts import phrase
from assistant.dialog.speech import at_time, clock, day, each_or, join_names, moment
from assistant.dialog.state import DialogState, Moving
from assistant.models import CalendarEvent, EventDraft, Intent
from intents.result import ContactResolution, Expect, ParseContext, ParseResult

#: How far ahead "move the budget check-in" looks when no day is said.
LOOKAHEAD = timedelta(days=7)
#: rapidfuzz partial ratio a spoken title needs to name a meeting.
TITLE_MATCH = 70
_MAX_CHOICES = 3


def start_move(state: DialogState, result: ParseResult, now: datetime) -> Outcome:
    """cancel_event with ``move``: look for the meeting the driver described."""
    slots = result.slots
    title, start, end = slots.get("title"), slots.get("start"), slots.get("end")
    wanted = Moving(
        title=title.strip() if isinstance(title, str) else "",
        start=start if isinstance(start, datetime) else None,
        day_end=end if isinstance(end, datetime) else None,
    )
    wanted = _with_new_time(wanted, slots.get("new_start"), slots.get("keep"))
    wanted = _with_shift(replace(wanted, earlier=slots.get("earlier") is True), slots.get("shift"))
    attendees = slots.get("attendees")
    for resolution in attendees if isinstance(attendees, tuple) else ():
        if not isinstance(resolution, ContactResolution):
            continue
        found = resolve(resolution)
        if found.unknown:
            return finish(state, unknown_name(found.unknown))
        people = (found.contact,) if found.contact else found.candidates
        wanted = replace(
            wanted,
            people=(*wanted.people, tuple(c.id for c in people)),
            names=(*wanted.names, display_name(people[0])),
        )
    action = FetchEvents(f"move-{state.turn}", *_window(wanted, now))
    return wait_for(state, "fetching", wanted, action)


def _with_new_time(wanted: Moving, new_start: object, keep: object) -> Moving:
    if not isinstance(new_start, datetime):
        return wanted
    kept = keep if isinstance(keep, str) else ""
    return replace(wanted, new_start=new_start, keep=kept, shift=None)


def _with_shift(wanted: Moving, shift: object, *, undirected: bool = False) -> Moving:
    """ "by an hour", "back a day", "提前半小时": the new time is the meeting's own, shifted.

    An amount said without a way ("by an hour") after "bring it forward" goes earlier.
    """
    if not isinstance(shift, int) or isinstance(shift, bool) or shift == 0:
        return wanted
    if wanted.earlier and undirected:
        shift = -abs(shift)
    return replace(wanted, shift=shift, new_start=None, keep="")


def _window(wanted: Moving, now: datetime) -> tuple[datetime, datetime]:
    """The day said ("my 3 o'clock", "tomorrow's meeting"), else the coming week."""
    if wanted.start is None:
        return now, now + LOOKAHEAD
    local = wanted.start.astimezone(now.tzinfo)
    first = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if wanted.day_end is not None and wanted.day_end > wanted.start:
        return first, wanted.day_end
    return first, first + timedelta(days=1)


def on_fetched(state: DialogState, wanted: Moving, event: Fetched, now: datetime) -> Outcome:
    """Events of the search window, or of the new time (conflicts)."""
    if wanted.chosen is None:
        return _found(state, wanted, event.events, now)
    assert wanted.target is not None
    clashes = tuple(e for e in event.events if e.id != wanted.chosen.id and not e.all_day)
    return _confirm(state, replace(wanted, conflicts=clashes), now)


def _found(
    state: DialogState, wanted: Moving, events: tuple[CalendarEvent, ...], now: datetime
) -> Outcome:
    ordered = sorted(events, key=lambda e: e.start)
    matches = [e for e in ordered if _described(wanted, e)]
    if wanted.start is not None and _timed(wanted.start):
        starting = [e for e in matches if e.start == wanted.start]
        matches = starting or [e for e in matches if e.start <= wanted.start < e.end]
    if not matches:
        return finish(state, _nothing(wanted, now))
    if len(matches) == 1:
        return _chosen(state, replace(wanted, chosen=matches[0]), now)
    return _ask_which(state, replace(wanted, matches=tuple(matches[:_MAX_CHOICES])), now)


def _timed(moment: datetime) -> bool:
    """A time of day was said, not only a day ("tomorrow's meeting" is 00:00)."""
    return moment.timetz().replace(tzinfo=None) != time(0)


def _described(wanted: Moving, event: CalendarEvent) -> bool:
    """Whether ``event`` fits the title and people the driver named."""
    if event.all_day and wanted.start is not None and _timed(wanted.start):
        return False
    if wanted.title and fuzz.partial_ratio(wanted.title.lower(), event.title.lower()) < TITLE_MATCH:
        return False
    return all(set(ids) & set(event.attendee_ids) for ids in wanted.people)


def _nothing(wanted: Moving, now: datetime) -> str:
    if wanted.title:
        return p("calendar.not_found", what=wanted.title)
    if wanted.names:
        return p("move.nothing_with", names=join_names(wanted.names))
    if wanted.start is not None and _timed(wanted.start):
        return p("move.nothing_at", when=_when(wanted.start, now))
    if wanted.start is not None:
        return p("calendar.nothing", when=day(wanted.start, now))
    return p("move.nothing_coming")


def _when(when: datetime, now: datetime) -> str:
    """ "2:30 PM tomorrow": a moment without the leading "at"."""
    return moment(when, now)


def _event(event: CalendarEvent, now: datetime) -> str:
    """ "Budget check-in at 3 PM tomorrow" ("明天下午三点的预算会")."""
    return phrase("event_when", title=event.title, when=at_time(event.start, now))


def _ask_which(state: DialogState, wanted: Moving, now: datetime, lead: str = "") -> Outcome:
    labels = tuple(f"{e.title}, {clock(e.start.astimezone(now.tzinfo))}" for e in wanted.matches)
    options = each_or([_event(e, now) for e in wanted.matches])
    text = " ".join(x for x in (lead, p("calendar.which", options=options)) if x)
    return ask(state, text, "choice", ParseContext(Expect.CHOICE, labels), task=wanted)


def _chosen(state: DialogState, wanted: Moving, now: datetime, lead: str = "") -> Outcome:
    """The meeting is known: ask where to, or check the new time."""
    chosen = wanted.chosen
    assert chosen is not None
    if wanted.shift is not None and wanted.new_start is None:
        return _check(state, wanted, chosen.start + timedelta(minutes=wanted.shift), now)
    if wanted.new_start is None:
        question = p("move.ask_time", title=chosen.title)
        text = f"{lead} {question}" if lead else question
        return ask(state, text, "time", ParseContext(Expect.TIME), task=wanted)
    # A correction ("make it 11 am") keeps the day of the time just proposed.
    target = new_time(wanted.target or chosen.start, wanted.new_start, wanted.keep, now)
    return _check(state, wanted, target, now)


def _check(state: DialogState, wanted: Moving, target: datetime, now: datetime) -> Outcome:
    """Question a new time already past; else look for what is already there."""
    chosen = wanted.chosen
    assert chosen is not None
    if target == chosen.start:
        return finish(state, p("move.already", title=chosen.title, when=at_time(target, now)))
    later = next_day_same_time(target, now)
    if later is not None:  # "to 9 this morning" when it is 11: questioned, never moved
        wanted = replace(wanted, proposed=later)
        text = p("calendar.past", when=moment(later, now))
        return ask(state, text, "confirm", ParseContext(Expect.YES_NO), task=wanted)
    wanted = replace(wanted, target=target, conflicts=(), proposed=None)
    end = target + (chosen.end - chosen.start)
    return wait_for(state, "fetching", wanted, FetchEvents(f"move-at-{state.turn}", target, end))


def new_time(base: datetime, said: datetime, keep: str, now: datetime) -> datetime:
    """The new start: what was said, with the left-out day or time taken from ``base``.

    "to 4 pm" keeps the meeting's day; "to Friday" keeps its time of day. A
    kept day that would put the meeting in the past gives way to the time
    as the parser resolved it (the next 4 PM).
    """
    old, new = base.astimezone(now.tzinfo), said.astimezone(now.tzinfo)
    if keep == "day":
        moved = old.replace(hour=new.hour, minute=new.minute, second=0, microsecond=0)
        return moved if moved > now else new
    if keep == "time":
        return new.replace(hour=old.hour, minute=old.minute, second=0, microsecond=0)
    return new


def _confirm(state: DialogState, wanted: Moving, now: datetime, lead: str = "") -> Outcome:
    assert wanted.chosen is not None
    assert wanted.target is not None
    parts = [lead] if lead else []
    if wanted.conflicts:
        clash = join_names([_event(e, now) for e in wanted.conflicts])
        parts.append(p("move.conflict", events=clash))
    parts.append(
        p(
            "move.confirm",
            title=wanted.chosen.title,
            old=_when(wanted.chosen.start, now),
            new=_when(wanted.target, now),
        )
    )
    return ask(state, " ".join(parts), "confirm", ParseContext(Expect.YES_NO), task=wanted)


def answer(state: DialogState, wanted: Moving, event: Utterance, now: datetime) -> Outcome:
    """The driver picked the meeting, said the new time, or answered the read-back."""
    result = event.result
    if state.waiting == "choice":
        choice = result.slots.get("choice")
        if isinstance(choice, int) and 0 <= choice < len(wanted.matches):
            return _chosen(state, replace(wanted, chosen=wanted.matches[choice]), now)
        return _ask_which(state, wanted, now, p("repair.not_understood"))
    shift = result.slots.get("shift") if result.intent is Intent.CANCEL_EVENT else None
    if isinstance(shift, int) and state.waiting in ("time", "confirm"):
        # "an hour later", "push it back 30 minutes": from the meeting's own start.
        undirected = result.slots.get("undirected") is True
        moved = _with_shift(
            replace(wanted, proposed=None, target=None), shift, undirected=undirected
        )
        return _chosen(state, moved, now)
    said = _said_time(result)
    if wanted.proposed is not None:
        return _answer_past(state, wanted, result, said, now)
    if state.waiting == "time":
        if said is None:
            return _chosen(state, wanted, now, p("repair.not_understood"))
        return _chosen(state, _with_new_time(wanted, *said), now)
    return _answer_confirm(state, wanted, result, said, now)


def _answer_past(
    state: DialogState,
    wanted: Moving,
    result: ParseResult,
    said: tuple[datetime, str] | None,
    now: datetime,
) -> Outcome:
    """ "That's in the past. Did you mean 9 AM tomorrow?" """
    assert wanted.proposed is not None
    assert wanted.chosen is not None
    if result.intent is Intent.CONFIRM and not unsure_yes(result):
        return _check(state, wanted, wanted.proposed, now)
    if result.intent is Intent.DENY:
        return _chosen(state, replace(wanted, new_start=None, keep="", proposed=None), now)
    if said is not None:
        return _chosen(state, _with_new_time(replace(wanted, proposed=None), *said), now)
    text = p("calendar.past", when=moment(wanted.proposed, now))
    return ask(state, text, "confirm", ParseContext(Expect.YES_NO))


def _said_time(result: ParseResult) -> tuple[datetime, str] | None:
    """A new time in an answer: "4 pm" (a time answer), "make it 5", "move it to 5"."""
    slots = result.slots
    moved = slots.get("new_start")
    if result.intent is Intent.CANCEL_EVENT and isinstance(moved, datetime):
        keep = slots.get("keep")
        return moved, keep if isinstance(keep, str) else ""
    start = slots.get("start")
    if result.intent is Intent.CREATE_EVENT and isinstance(start, datetime):
        keep = slots.get("keep")
        return start, keep if isinstance(keep, str) else ""
    return None


def _answer_confirm(
    state: DialogState,
    wanted: Moving,
    result: ParseResult,
    said: tuple[datetime, str] | None,
    now: datetime,
) -> Outcome:
    assert wanted.chosen is not None
    assert wanted.target is not None
    if unsure_yes(result):
        return _confirm(state, wanted, now, p("repair.unsure_yes"))
    if result.intent is Intent.CONFIRM:
        chosen, target = wanted.chosen, wanted.target
        draft = EventDraft(
            chosen.title,
            target,
            target + (chosen.end - chosen.start),
            chosen.attendee_ids,
            chosen.location,
            chosen.all_day,
        )
        return wait_for(state, "saving", wanted, CreateEvent(f"move-new-{state.turn}", draft))
    if result.intent is Intent.DENY:
        kept = p("move.kept", title=wanted.chosen.title, when=at_time(wanted.chosen.start, now))
        return finish(state, kept)
    if said is not None:  # "make it 5 pm": a new target, checked again
        return _chosen(state, _with_new_time(wanted, *said), now)
    return ask(state, p("repair.yes_or_no"), "confirm", ParseContext(Expect.YES_NO))


def on_saved(state: DialogState, wanted: Moving, event: Done | Failed, now: datetime) -> Outcome:
    """The new meeting was created (then remove the old one), or a step failed."""
    assert wanted.chosen is not None
    assert wanted.target is not None
    title, old, new = wanted.chosen.title, wanted.chosen.start, wanted.target
    if not wanted.moved:
        if isinstance(event, Failed):
            text = p("move.create_failed", reason=event.reason, title=title, when=at_time(old, now))
            return finish(state, text)
        action = CancelEvent(f"move-old-{state.turn}", wanted.chosen.id)
        return wait_for(state, "saving", replace(wanted, moved=True), action)
    if isinstance(event, Failed):
        text = p(
            "move.cancel_failed",
            title=title,
            new=at_time(new, now),
            old=at_time(old, now),
            reason=event.reason,
        )
        return finish(state, text)
    return finish(state, p("move.moved", title=title, when=at_time(new, now)))
