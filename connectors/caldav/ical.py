"""iCalendar (RFC 5545) for events, through the ``icalendar`` library.

Times keep their zone: a ``ZoneInfo`` start is written as ``DTSTART;TZID=...``
with a matching ``VTIMEZONE``, any other aware time as UTC. All-day events use
``VALUE=DATE`` with an exclusive ``DTEND``. On the way back, floating times
(no zone) are read in the connector's zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import icalendar

from assistant.errors import ConnectorError, RejectedError
from assistant.models import CalendarEvent, EventDraft

PRODID = "-//DriveTalk//CalDAV connector//EN"
_CONTACT_URN = "urn:x-drivetalk:contact:"


def event_to_ical(uid: str, draft: EventDraft, stamp: datetime) -> bytes:
    """A VCALENDAR holding one VEVENT for ``draft``."""
    _require_aware(draft.start, draft.end)
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("summary", draft.title)
    if draft.all_day:
        first, after_last = all_day_span(draft.start, draft.end)
        event.add("dtstart", first)
        event.add("dtend", after_last)
    else:
        event.add("dtstart", _zoned(draft.start))
        event.add("dtend", _zoned(draft.end))
    if draft.location:
        event.add("location", draft.location)
    for attendee in draft.attendee_ids:
        event.add("attendee", attendee_uri(attendee))
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def all_day_span(start: datetime, end: datetime) -> tuple[date, date]:
    """First day and the exclusive day after the last for an all-day event."""
    first = start.date()
    last = end.date()
    if end.time() != time(0) or last <= first:
        last += timedelta(days=1)  # end inside a day: that day is included
    return first, max(last, first + timedelta(days=1))


def attendee_uri(contact_id: str) -> str:
    """``mailto:`` for e-mail addresses, a DriveTalk URN for other directory ids."""
    return f"mailto:{contact_id}" if "@" in contact_id else f"{_CONTACT_URN}{contact_id}"


def _attendee_id(uri: str) -> str:
    for prefix in ("mailto:", "MAILTO:", _CONTACT_URN):
        if uri.startswith(prefix):
            return uri[len(prefix) :]
    return uri


def _zoned(value: datetime) -> datetime:
    # Named zones travel as TZID; fixed offsets have no TZID, so use UTC.
    return value if isinstance(value.tzinfo, ZoneInfo) else value.astimezone(UTC)


def _require_aware(*values: datetime) -> None:
    if any(v.tzinfo is None or v.utcoffset() is None for v in values):
        raise RejectedError("event times must carry a time zone")


def events_from_ical(data: str, event_id: str, zone: tzinfo) -> list[CalendarEvent]:
    """Every VEVENT in ``data`` (expanded instances included) as CalendarEvents."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise ConnectorError(f"the CalDAV server sent unreadable iCalendar for {event_id}") from exc
    return [_event(component, event_id, zone) for component in calendar.walk("VEVENT")]


def _event(component: icalendar.cal.Component, event_id: str, zone: tzinfo) -> CalendarEvent:
    start_value = component.decoded("dtstart")
    all_day = not isinstance(start_value, datetime)
    start = _instant(start_value, zone)
    if "dtend" in component:
        end = _instant(component.decoded("dtend"), zone)
    elif "duration" in component:
        end = start + component.decoded("duration")
    else:
        end = start + (timedelta(days=1) if all_day else timedelta(0))
    attendees = component.get("attendee", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    return CalendarEvent(
        id=event_id,
        title=str(component.get("summary", "")),
        start=start,
        end=end,
        attendee_ids=tuple(_attendee_id(str(a)) for a in attendees),
        location=str(component.get("location", "")),
        all_day=all_day,
    )


def _instant(value: date | datetime, zone: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
    return datetime.combine(value, time(0), tzinfo=zone)
