"""iCalendar building and reading: zones, all-day spans, attendees, bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from assistant.errors import ConfigError, ConnectorError, RejectedError
from assistant.models import EventDraft
from connectors.caldav.config import parse_config
from connectors.caldav.ical import all_day_span, event_to_ical, events_from_ical

SHANGHAI = ZoneInfo("Asia/Shanghai")
STAMP = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(25), at(26), (date(2026, 11, 25), date(2026, 11, 26))),  # one day, exclusive end
        (at(25), at(27), (date(2026, 11, 25), date(2026, 11, 27))),  # two days
        (at(25), at(25), (date(2026, 11, 25), date(2026, 11, 26))),  # empty -> one day
        (at(25, 9), at(25, 17), (date(2026, 11, 25), date(2026, 11, 26))),  # inside one day
        (at(25), at(26, 12), (date(2026, 11, 25), date(2026, 11, 27))),  # ends mid-day 26
    ],
)
def test_all_day_spans_have_an_exclusive_end(
    start: datetime, end: datetime, expected: tuple[date, date]
) -> None:
    assert all_day_span(start, end) == expected


def test_named_zone_travels_as_tzid_with_its_vtimezone() -> None:
    text = event_to_ical("uid-1", EventDraft("Standup", at(24, 9), at(24, 9, 15)), STAMP).decode()
    assert "DTSTART;TZID=Asia/Shanghai:20261124T090000" in text
    assert "BEGIN:VTIMEZONE" in text
    assert "TZID:Asia/Shanghai" in text


def test_fixed_offsets_travel_as_utc() -> None:
    start = datetime(2026, 11, 24, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    text = event_to_ical("uid-2", EventDraft("Call", start, start), STAMP).decode()
    assert "DTSTART:20261124T033000Z" in text


def test_all_day_uses_value_date() -> None:
    text = event_to_ical("u", EventDraft("Offsite", at(25), at(27), all_day=True), STAMP).decode()
    assert "DTSTART;VALUE=DATE:20261125" in text
    assert "DTEND;VALUE=DATE:20261127" in text


def test_round_trip_keeps_everything() -> None:
    draft = EventDraft("Review; part 1, draft", at(24, 15), at(24, 16),
                       ("u-li-wei", "wang@example.com"), "Room 5, 3rd floor")  # fmt: skip
    [event] = events_from_ical(event_to_ical("u", draft, STAMP).decode(), "/cal/u.ics", SHANGHAI)
    assert (event.id, event.title, event.start, event.end) == (
        "/cal/u.ics",
        draft.title,
        draft.start,
        draft.end,
    )
    assert (event.attendee_ids, event.location, event.all_day) == (
        draft.attendee_ids,
        draft.location,
        False,
    )


FLOATING_WITH_DURATION = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//other client//EN
BEGIN:VEVENT
UID:x
DTSTAMP:20261101T000000Z
DTSTART:20261124T100000
DURATION:PT90M
SUMMARY:Floating
ATTENDEE;CN=Li Na:MAILTO:li.na@example.com
END:VEVENT
BEGIN:VEVENT
UID:y
DTSTAMP:20261101T000000Z
DTSTART;VALUE=DATE:20261126
SUMMARY:Holiday
END:VEVENT
END:VCALENDAR
"""


def test_floating_times_are_read_in_the_drivers_zone_and_defaults_filled() -> None:
    floating, holiday = events_from_ical(FLOATING_WITH_DURATION, "/c/x.ics", SHANGHAI)
    assert (floating.start, floating.end) == (at(24, 10), at(24, 11, 30))
    assert floating.attendee_ids == ("li.na@example.com",)
    assert holiday.all_day
    assert (holiday.start, holiday.end) == (at(26), at(27))


@pytest.mark.parametrize("text", ["not a calendar", "BEGIN:VCALENDAR\nBEGIN:VEVENT\n"])
def test_unreadable_icalendar_is_a_connector_error(text: str) -> None:
    with pytest.raises(ConnectorError, match="unreadable iCalendar"):
        events_from_ical(text, "/c/bad.ics", SHANGHAI)


def test_naive_times_are_refused() -> None:
    naive = datetime(2026, 11, 24, 9, 0)
    with pytest.raises(RejectedError, match="time zone"):
        event_to_ical("u", EventDraft("x", naive, naive), STAMP)


TABLE = {"url": "https://dav.example.com/cal", "username": "driver", "password_env": "PW"}


def test_config_reads_the_password_from_the_environment_only() -> None:
    config, password = parse_config(TABLE, {"PW": "s3cret-pw"})
    assert config.url == "https://dav.example.com/cal/"
    assert password == SecretStr("s3cret-pw")
    assert "s3cret-pw" not in repr(config) + repr(password) + str(password)


@pytest.mark.parametrize(
    ("table", "env", "message"),
    [
        (TABLE, {}, "PW is not set"),
        ({**TABLE, "url": "dav.example.com"}, {"PW": "x"}, "https://"),
        ({k: v for k, v in TABLE.items() if k != "username"}, {"PW": "x"}, "username"),
        ({**TABLE, "password": "inline"}, {"PW": "x"}, "password"),
        ({**TABLE, "timeout": -1}, {"PW": "x"}, "timeout"),
    ],
)
def test_bad_config_is_a_config_error(
    table: dict[str, object], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_config(table, env)
    assert "inline" not in str(caught.value)
