"""CalDAVConnector against a real Radicale: create, list, cancel; zones and all-day events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from assistant.errors import AuthenticationError, BackendUnavailableError, RejectedError
from assistant.models import EventDraft
from connectors.caldav import CalDAVConnector
from connectors.ports import CalendarPort
from connectors.registry import ConnectorContext
from tests.servers.fixtures import RADICALE_USERS
from tests.servers.net import free_port
from tests.servers.radicale import RadicaleServer

pytestmark = [pytest.mark.radicale, pytest.mark.timeout(120)]

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def build(
    url: str, tmp_path: Path, http: httpx.AsyncClient | None, **extra: object
) -> CalDAVConnector:
    table = {"url": url, "username": "driver", "password_env": "CALDAV_PASSWORD", **extra}
    context = ConnectorContext(
        data_dir=tmp_path,
        zone=SHANGHAI,
        http=http,
        env={"CALDAV_PASSWORD": RADICALE_USERS["driver"]},
        now=lambda: datetime.now(UTC),
    )
    return CalDAVConnector.from_config(table, context)


@pytest.fixture
async def calendar(radicale: RadicaleServer, tmp_path: Path) -> AsyncIterator[CalDAVConnector]:
    """The driver's connector on a fresh, empty calendar."""
    url = radicale.make_calendar("driver")
    async with httpx.AsyncClient() as http:
        yield build(url, tmp_path, http)


def week_of(day: datetime) -> tuple[datetime, datetime]:
    return day - timedelta(days=3), day + timedelta(days=4)


async def test_implements_the_calendar_port(calendar: CalDAVConnector) -> None:
    assert isinstance(calendar, CalendarPort)
    assert (await calendar.check()).ok


async def test_created_event_is_listed_with_its_zone_intact(calendar: CalDAVConnector) -> None:
    start = datetime(2026, 11, 23, 15, 0, tzinfo=SHANGHAI)
    people = ("u-li-wei", "wang.fang@example.com")
    draft = EventDraft(
        "Budget review", start, start + timedelta(hours=1), attendee_ids=people, location="Room 5"
    )
    created = await calendar.create_event(draft)
    [listed] = await calendar.events(*week_of(start))
    assert listed == created
    assert listed.start == start  # the same instant ...
    assert listed.start.utcoffset() == timedelta(hours=8)  # ... shown in the driver's zone
    assert listed.end - listed.start == timedelta(hours=1)
    assert listed.attendee_ids == ("u-li-wei", "wang.fang@example.com")
    assert (listed.title, listed.location, listed.all_day) == ("Budget review", "Room 5", False)


async def test_other_zones_and_fixed_offsets_keep_the_instant(calendar: CalDAVConnector) -> None:
    berlin = datetime(2026, 3, 29, 9, 0, tzinfo=BERLIN)  # the morning after DST starts
    offset = datetime(2026, 3, 29, 18, 0, tzinfo=timezone(timedelta(hours=-5)))
    await calendar.create_event(EventDraft("Berlin call", berlin, berlin + timedelta(minutes=30)))
    await calendar.create_event(EventDraft("NY call", offset, offset + timedelta(minutes=30)))
    listed = await calendar.events(*week_of(berlin))
    assert [(e.title, e.start) for e in listed] == [("Berlin call", berlin), ("NY call", offset)]
    assert berlin.astimezone(UTC).hour == 7  # CEST, not CET


async def test_all_day_events_cover_whole_days(calendar: CalDAVConnector) -> None:
    day = datetime(2026, 11, 25, tzinfo=SHANGHAI)
    created = await calendar.create_event(
        EventDraft("Offsite", day, day + timedelta(days=2), all_day=True)
    )
    [listed] = await calendar.events(*week_of(day))
    assert listed == created
    assert listed.all_day
    assert (listed.start, listed.end) == (day, day + timedelta(days=2))
    # Visible from a query covering only the second day.
    second = day + timedelta(days=1, hours=10)
    assert [e.title for e in await calendar.events(second, second + timedelta(hours=1))] == [
        "Offsite"
    ]


async def test_only_overlapping_events_are_listed_in_start_order(calendar: CalDAVConnector) -> None:
    base = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
    for hour, title in [(4, "late"), (0, "early"), (2, "middle"), (30, "next day")]:
        start = base + timedelta(hours=hour)
        await calendar.create_event(EventDraft(title, start, start + timedelta(minutes=45)))
    listed = await calendar.events(base, base + timedelta(hours=5))
    assert [e.title for e in listed] == ["early", "middle", "late"]


async def test_cancelled_event_is_gone(calendar: CalDAVConnector) -> None:
    start = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
    keep = await calendar.create_event(EventDraft("keep", start, start + timedelta(hours=1)))
    drop = await calendar.create_event(EventDraft("drop", start, start + timedelta(hours=1)))
    await calendar.cancel_event(drop.id)
    assert [e.id for e in await calendar.events(*week_of(start))] == [keep.id]
    with pytest.raises(RejectedError, match="404"):
        await calendar.cancel_event(drop.id)


@pytest.mark.parametrize(
    "event_id", ["/driver/", "../other/x.ics", "http://evil.example/x.ics", "/intruder/cal/x.ics"]
)
async def test_cancel_only_touches_events_of_this_calendar(
    calendar: CalDAVConnector, event_id: str
) -> None:
    with pytest.raises(RejectedError, match="not an event of this calendar"):
        await calendar.cancel_event(event_id)


async def test_naive_times_are_refused(calendar: CalDAVConnector) -> None:
    naive = datetime(2026, 11, 26, 10, 0)
    with pytest.raises(RejectedError, match="time zone"):
        await calendar.create_event(EventDraft("x", naive, naive + timedelta(hours=1)))
    with pytest.raises(RejectedError, match="time zone"):
        await calendar.events(naive, naive + timedelta(days=1))


async def test_calendar_is_discovered_from_the_server_root(
    radicale: RadicaleServer, tmp_path: Path
) -> None:
    url = radicale.make_calendar("driver", name="Discover Me")
    by_name = build(radicale.url, tmp_path, None, calendar="Discover Me")
    by_segment = build(radicale.url, tmp_path, None, calendar=url.rstrip("/").rsplit("/", 1)[1])
    try:
        assert await by_name.calendar_url() == url
        assert await by_segment.calendar_url() == url
        missing = build(radicale.url, tmp_path, None, calendar="No Such Calendar")
        result = await missing.check()
        await missing.aclose()
        assert not result.ok
        assert "No Such Calendar" in result.detail
    finally:
        await by_name.aclose()
        await by_segment.aclose()


async def test_wrong_password_is_an_authentication_failure(
    radicale: RadicaleServer, tmp_path: Path
) -> None:
    url = radicale.make_calendar("driver")
    context = ConnectorContext(tmp_path, SHANGHAI, None, {"CALDAV_PASSWORD": "wrong-secret-42"})
    table = {"url": url, "username": "driver", "password_env": "CALDAV_PASSWORD"}
    connector = CalDAVConnector.from_config(table, context)
    try:
        result = await connector.check()
        with pytest.raises(AuthenticationError, match="401"):
            await connector.events(datetime.now(UTC), datetime.now(UTC) + timedelta(days=1))
    finally:
        await connector.aclose()
    assert not result.ok
    assert "wrong-secret-42" not in result.detail + repr(connector)


async def test_another_users_calendar_is_forbidden(
    radicale: RadicaleServer, tmp_path: Path
) -> None:
    theirs = radicale.make_calendar("intruder")
    connector = build(theirs, tmp_path, None)
    try:
        with pytest.raises(AuthenticationError, match="403"):
            await connector.events(datetime.now(UTC), datetime.now(UTC) + timedelta(days=1))
    finally:
        await connector.aclose()


async def test_unreachable_server_is_unavailable(tmp_path: Path) -> None:
    connector = build(f"http://127.0.0.1:{free_port()}/driver/cal/", tmp_path, None)
    try:
        with pytest.raises(BackendUnavailableError):
            await connector.events(datetime.now(UTC), datetime.now(UTC) + timedelta(days=1))
        assert not (await connector.check()).ok
    finally:
        await connector.aclose()


RECURRING = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//another client//EN
BEGIN:VEVENT
UID:standup-series
DTSTAMP:20261101T000000Z
DTSTART;TZID=Asia/Shanghai:20261123T091500
DTEND;TZID=Asia/Shanghai:20261123T093000
RRULE:FREQ=DAILY;COUNT=5
SUMMARY:Standup
END:VEVENT
END:VCALENDAR
"""


async def test_recurring_events_from_other_clients_are_expanded(
    calendar: CalDAVConnector, radicale: RadicaleServer
) -> None:
    url = await calendar.calendar_url()
    async with httpx.AsyncClient(auth=("driver", RADICALE_USERS["driver"])) as other_client:
        reply = await other_client.put(
            url + "standup-series.ics",
            content=RECURRING.replace("\n", "\r\n"),
            headers={"Content-Type": "text/calendar"},
        )
        reply.raise_for_status()
    first = datetime(2026, 11, 24, 0, 0, tzinfo=SHANGHAI)
    listed = await calendar.events(first, first + timedelta(days=2))
    assert [(e.title, e.start) for e in listed] == [
        ("Standup", datetime(2026, 11, 24, 9, 15, tzinfo=SHANGHAI)),
        ("Standup", datetime(2026, 11, 25, 9, 15, tzinfo=SHANGHAI)),
    ]
    assert all(e.end - e.start == timedelta(minutes=15) for e in listed)
