"""Calendar: what's next / on a day, create an event (with conflict warning), cancel one.

Creating and cancelling both end in a read-back the driver must confirm.
Times are always spoken the way people say them ("at 3 PM tomorrow").
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from assistant.dialog.actions import CancelEvent, CreateEvent, FetchEvents, Speak
from assistant.dialog.common import (
    Outcome,
    ask,
    finish,
    next_day_same_time,
    p,
    sentence_case,
    spoken,
    unsure_yes,
    wait_for,
)
from assistant.dialog.contacts import choice_question, left_out, pick, resolve, spoken_name
from assistant.dialog.events import Done, Failed, Fetched, Utterance
from assistant.dialog.names import display_name
from assistant.dialog.prompts import phrase
from assistant.dialog.speech import (
    at_time,
    clock,
    count,
    duration,
    each_or,
    join_names,
    moment,
    period,
    span_minutes,
    tally,
)
from assistant.dialog.state import CalendarQuery, Cancelling, DialogState, NewEvent
from assistant.models import CalendarEvent, EventDraft, Intent
from intents.result import ContactResolution, Expect, ParseContext, ParseResult

DEFAULT_MINUTES = 30
#: How far ahead "what's next" and "cancel the budget review" look.
LOOKAHEAD = timedelta(days=7)
_MAX_LISTED = 4
_TITLE_MATCH = 70


# -- what's on -------------------------------------------------------------


def start_query(state: DialogState, result: ParseResult, now: datetime) -> Outcome:
    """query_calendar: a period, or just "what's next" when no end is given."""
    start, end = result.slots.get("start"), result.slots.get("end")
    begin = start if isinstance(start, datetime) else now
    if isinstance(end, datetime) and end > begin:
        query = CalendarQuery(begin, end)
    else:
        query = CalendarQuery(max(begin, now), max(begin, now) + LOOKAHEAD, next_only=True)
    action = FetchEvents(f"events-{state.turn}", query.start, query.end)
    return wait_for(state, "fetching", query, action)


def on_events(state: DialogState, query: CalendarQuery, event: Fetched, now: datetime) -> Outcome:
    """Say the events of the period, or the next one."""
    events = sorted(event.events, key=lambda e: e.start)
    if query.next_only:
        upcoming = [e for e in events if e.start >= now]
        if not upcoming:
            return finish(state, p("calendar.nothing_next"))
        first = upcoming[0]
        where = p("calendar.where", location=first.location) if first.location else ""
        return finish(state, p("calendar.next", what=_describe(first, now)), where)
    when = period(query.start, query.end, now)
    if not events:
        return finish(state, p("calendar.nothing", when=when))
    listed = [
        phrase("event_at", title=e.title, time=clock(e.start.astimezone(now.tzinfo)))
        for e in events
    ]
    if len(listed) > _MAX_LISTED:
        more = phrase("more_events", count=tally(len(listed) - _MAX_LISTED + 1))
        listed = [*listed[: _MAX_LISTED - 1], more]
    head = p("calendar.count", when=_capital(when), count=_meetings(len(events)))
    return finish(state, f"{head} {join_names(listed)}{phrase('full_stop')}")


def _meetings(n: int) -> str:
    return count(n, "meeting")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _describe(event: CalendarEvent, now: datetime) -> str:
    return phrase("event_when", title=event.title, when=at_time(event.start, now))


# -- create ----------------------------------------------------------------


def start_create(state: DialogState, result: ParseResult, now: datetime) -> Outcome:
    """create_event: gather title, time, duration and attendees."""
    return _apply_create(state, NewEvent(), result, now)


def _apply_create(
    state: DialogState, draft: NewEvent, result: ParseResult, now: datetime
) -> Outcome:
    slots = result.slots
    title, start, end = slots.get("title"), slots.get("start"), slots.get("end")
    minutes, location = slots.get("duration"), slots.get("location")
    if isinstance(title, str) and title.strip():
        draft = replace(draft, title=sentence_case(title))
    if isinstance(start, datetime):
        draft = replace(draft, start=start)
    if isinstance(end, datetime):
        draft = replace(draft, end=end, minutes=None)
    if isinstance(minutes, int) and not isinstance(minutes, bool) and minutes > 0:
        draft = replace(draft, minutes=minutes, end=None)
    if isinstance(location, str) and location.strip():
        draft = replace(draft, location=location.strip())
    attendees = slots.get("attendees")
    if isinstance(attendees, tuple):
        draft = _add_attendees(draft, [a for a in attendees if isinstance(a, ContactResolution)])
    return advance_create(state, draft, now)


#: Answers that say nothing about the meeting being drafted.
_NO_ANSWER = (Intent.NONE, Intent.CONFIRM, Intent.DENY, Intent.NEXT)


def _add_attendees(draft: NewEvent, resolutions: list[ContactResolution]) -> NewEvent:
    people, choices, dropped = list(draft.attendees), list(draft.open_choices), list(draft.dropped)
    for resolution in resolutions:
        found = resolve(resolution)
        if found.contact is not None and found.contact in people:
            continue  # named again in a correction ("... with li na at 4")
        if found.contact is not None:
            people.append(found.contact)
        elif found.candidates:
            choices.append(found.candidates)
        else:
            dropped.append(found.unknown)
    return replace(
        draft, attendees=tuple(people), open_choices=tuple(choices), dropped=tuple(dropped)
    )


def advance_create(state: DialogState, draft: NewEvent, now: datetime, note: str = "") -> Outcome:
    """Ask for what is missing; then check conflicts; then read back."""
    lead = f"{note} " if note else ""
    if draft.dropped:
        names = join_names([spoken_name(n) for n in draft.dropped])
        lead += left_out(names) + " "
        draft = replace(draft, dropped=())
    if draft.open_choices:
        question, context = choice_question(draft.open_choices[0])
        return ask(state, lead + question, "choice", context, task=draft)
    if not draft.title:
        return ask(
            state, lead + p("calendar.ask_title"), "title", ParseContext(Expect.TITLE), task=draft
        )
    if draft.start is None:
        return ask(
            state, lead + p("calendar.ask_time"), "time", ParseContext(Expect.TIME), task=draft
        )
    start, end = draft.start, event_end(draft)
    later = next_day_same_time(start, now)
    if later is not None:  # "at 9 this morning" when it is 11: questioned, never created
        text = lead + p("calendar.past", when=moment(later, now))
        return ask(
            state, text, "confirm", ParseContext(Expect.YES_NO), task=replace(draft, proposed=later)
        )
    action = FetchEvents(f"conflicts-{state.turn}", start, end)
    new, actions = wait_for(state, "fetching", draft, action)
    if not lead.strip():
        return new, actions
    said = spoken(lead.strip())
    return replace(new, last_spoken=said), (Speak(said), *actions)


def event_end(draft: NewEvent) -> datetime:
    """The end of the drafted event: given, or start plus the duration (default 30 min)."""
    if draft.start is None:
        raise ValueError("an event draft without a start has no end")
    if draft.end is not None and draft.end > draft.start:
        return draft.end
    return draft.start + timedelta(minutes=draft.minutes or DEFAULT_MINUTES)


def on_conflicts(state: DialogState, draft: NewEvent, event: Fetched, now: datetime) -> Outcome:
    """Read the event back, with a warning about overlapping meetings."""
    draft = replace(draft, conflicts=tuple(event.events))
    return ask(
        state, create_read_back(draft, now), "confirm", ParseContext(Expect.YES_NO), task=draft
    )


def create_read_back(draft: NewEvent, now: datetime) -> str:
    """ "Budget sync at 3 PM tomorrow for 30 minutes with Li Na. Create it?" """
    assert draft.start is not None  # guaranteed by advance_create
    minutes = span_minutes(draft.start, event_end(draft))
    when = at_time(draft.start, now)
    parts = [phrase("create_head", title=draft.title, when=when, duration=duration(minutes))]
    if draft.attendees:
        names = join_names([display_name(a) for a in draft.attendees])
        parts.append(phrase("create_with", names=names))
    if draft.location:
        parts.append(phrase("create_in", location=draft.location))
    text = phrase("create_gap").join(parts) + phrase("full_stop")
    if draft.conflicts:
        clash = join_names([_describe(e, now) for e in draft.conflicts])
        text += " " + p("calendar.conflict", events=clash)
    return f"{text} {p('calendar.confirm_create')}"


def answer_create(state: DialogState, draft: NewEvent, event: Utterance, now: datetime) -> Outcome:
    """Answers while drafting an event: a pick, a title, a time, or yes/no."""
    result = event.result
    if state.waiting == "choice":
        chosen = pick(draft.open_choices[0], result.slots)
        if chosen is None:
            return advance_create(state, draft, now, p("repair.not_understood"))
        draft = replace(
            draft, attendees=(*draft.attendees, chosen), open_choices=draft.open_choices[1:]
        )
        return advance_create(state, draft, now)
    if state.waiting == "confirm" and draft.proposed is not None:
        return _answer_past(state, draft, result, now)
    if state.waiting == "confirm":
        return _answer_create_confirm(state, draft, result, now)
    if result.intent in _NO_ANSWER:  # "um"; "yes" to "What's the meeting called?"
        return advance_create(state, draft, now, p("repair.not_understood"))
    if state.waiting == "title" and not isinstance(result.slots.get("title"), str):
        text = result.text.strip()
        if text and result.intent is not Intent.NONE:
            return advance_create(state, replace(draft, title=sentence_case(text)), now)
    return _apply_create(state, draft, result, now)


def _answer_past(
    state: DialogState, draft: NewEvent, result: ParseResult, now: datetime
) -> Outcome:
    """ "That's in the past. Did you mean 9 AM tomorrow?" """
    assert draft.proposed is not None
    assert draft.start is not None
    if result.intent is Intent.CONFIRM and not unsure_yes(result):
        shift = draft.proposed - draft.start
        end = draft.end + shift if draft.end is not None else None
        return advance_create(
            state, replace(draft, start=draft.proposed, end=end, proposed=None), now
        )
    if result.intent is Intent.DENY:
        return advance_create(state, replace(draft, start=None, end=None, proposed=None), now)
    if result.intent is Intent.CREATE_EVENT and isinstance(result.slots.get("start"), datetime):
        return _apply_create(state, replace(draft, proposed=None), result, now)
    text = p("calendar.past", when=moment(draft.proposed, now))
    return ask(state, text, "confirm", ParseContext(Expect.YES_NO))


def _answer_create_confirm(
    state: DialogState, draft: NewEvent, result: ParseResult, now: datetime
) -> Outcome:
    if unsure_yes(result):
        return ask(
            state,
            f"{p('repair.unsure_yes')} {create_read_back(draft, now)}",
            "confirm",
            ParseContext(Expect.YES_NO),
        )
    if result.intent is Intent.CONFIRM:
        assert draft.start is not None
        new = EventDraft(
            draft.title,
            draft.start,
            event_end(draft),
            tuple(a.id for a in draft.attendees),
            draft.location,
        )
        return wait_for(state, "saving", draft, CreateEvent(f"create-{state.turn}", new))
    if result.intent is Intent.DENY:
        return finish(state, p("calendar.not_created"))
    if result.intent is Intent.CREATE_EVENT:
        return _apply_create(state, draft, result, now)
    return ask(state, p("repair.yes_or_no"), "confirm", ParseContext(Expect.YES_NO))


def on_created(state: DialogState, draft: NewEvent, event: Done | Failed, now: datetime) -> Outcome:
    """The backend created the event (or refused)."""
    if isinstance(event, Failed):
        return finish(state, p("calendar.create_failed", reason=event.reason))
    assert draft.start is not None
    return finish(state, p("calendar.created", title=draft.title, when=at_time(draft.start, now)))


# -- cancel ----------------------------------------------------------------


def start_cancel(state: DialogState, result: ParseResult, now: datetime) -> Outcome:
    """cancel_event: find the event by title and/or time."""
    title, start = result.slots.get("title"), result.slots.get("start")
    wanted = Cancelling(
        title=title.strip() if isinstance(title, str) else "",
        start=start if isinstance(start, datetime) else None,
    )
    if wanted.start is not None:
        day = wanted.start.astimezone(now.tzinfo).replace(hour=0, minute=0, second=0)
        window = (day, day + timedelta(days=1))
    else:
        window = (now, now + LOOKAHEAD)
    return wait_for(state, "fetching", wanted, FetchEvents(f"find-{state.turn}", *window))


def on_found(state: DialogState, wanted: Cancelling, event: Fetched, now: datetime) -> Outcome:
    """Pick the event(s) matching the driver's description and confirm."""
    matches = tuple(e for e in sorted(event.events, key=lambda e: e.start) if _matches(wanted, e))
    # An event called exactly what was said is the one meant ("budget check-in"
    # is Budget check-in, not Budget review, which only sounds close).
    exact = tuple(e for e in matches if e.title.casefold() == wanted.title.casefold())
    matches = exact or matches
    if not matches:
        return finish(state, p("calendar.not_found", what=wanted.title or phrase("a_meeting")))
    if len(matches) == 1:
        return _confirm_cancel(state, replace(wanted, matches=matches, chosen=matches[0]), now)
    return _ask_which(state, replace(wanted, matches=matches[:3]), now)


def _ask_which(state: DialogState, wanted: Cancelling, now: datetime, lead: str = "") -> Outcome:
    labels = tuple(f"{e.title}, {clock(e.start.astimezone(now.tzinfo))}" for e in wanted.matches)
    options = each_or([_describe(e, now) for e in wanted.matches])
    text = " ".join(x for x in (lead, p("calendar.which", options=options)) if x)
    return ask(state, text, "choice", ParseContext(Expect.CHOICE, labels), task=wanted)


def _matches(wanted: Cancelling, event: CalendarEvent) -> bool:
    timed = wanted.start is not None and (wanted.start.hour, wanted.start.minute) != (0, 0)
    if timed and wanted.start is not None and not event.start <= wanted.start < event.end:
        return False
    if not wanted.title:
        return True
    return fuzz.partial_ratio(wanted.title.lower(), event.title.lower()) >= _TITLE_MATCH


def _confirm_cancel(
    state: DialogState, wanted: Cancelling, now: datetime, lead: str = ""
) -> Outcome:
    assert wanted.chosen is not None
    question = p("calendar.confirm_cancel", what=_describe(wanted.chosen, now))
    text = f"{lead} {question}" if lead else question
    return ask(state, text, "confirm", ParseContext(Expect.YES_NO), task=wanted)


def answer_cancel(
    state: DialogState, wanted: Cancelling, event: Utterance, now: datetime
) -> Outcome:
    """The driver picked the event, or answered the confirmation."""
    result = event.result
    if state.waiting == "choice":
        choice = result.slots.get("choice")
        if isinstance(choice, int) and 0 <= choice < len(wanted.matches):
            return _confirm_cancel(state, replace(wanted, chosen=wanted.matches[choice]), now)
        return _ask_which(state, wanted, now, p("repair.not_understood"))
    if unsure_yes(result):
        return _confirm_cancel(state, wanted, now, p("repair.unsure_yes"))
    if result.intent is Intent.CONFIRM and wanted.chosen is not None:
        action = CancelEvent(f"cancel-{state.turn}", wanted.chosen.id)
        return wait_for(state, "saving", wanted, action)
    if result.intent in (Intent.DENY, Intent.CANCEL):
        return finish(state, p("calendar.kept"))
    return ask(state, p("repair.yes_or_no"), "confirm", ParseContext(Expect.YES_NO))


def on_cancelled(state: DialogState, wanted: Cancelling, event: Done | Failed) -> Outcome:
    """The backend cancelled the event (or refused)."""
    if isinstance(event, Failed):
        return finish(state, p("calendar.cancel_failed", reason=event.reason))
    title = wanted.chosen.title if wanted.chosen else ""
    return finish(state, p("calendar.cancelled", title=title))
