"""Calendar events and the contact directory through the emulated DingTalk."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from assistant.errors import ConfigError, RejectedError
from assistant.models import EventDraft
from connectors.dingtalk.connector import DingTalkConnector
from tests.conftest import NOW
from tests.connectors.dingtalk.conftest import ROBOT_GROUP, ConnectorFactory
from tests.connectors.dingtalk.emulator import DIRECTORY, DingTalkEmulator


def draft(title: str, hour: int, **kw: object) -> EventDraft:
    start = NOW.replace(hour=hour)
    return EventDraft(title=title, start=start, end=start + timedelta(hours=1), **kw)  # type: ignore[arg-type]


async def test_created_events_are_listed_in_order_and_cancelled(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    late = await connector.create_event(draft("Budget review", 15, location="Room 3"))
    early = await connector.create_event(draft("Standup", 9, attendee_ids=("u-liwen",)))
    listed = await connector.events(NOW, NOW + timedelta(days=1))
    assert [e.title for e in listed] == ["Standup", "Budget review"]
    assert listed[0].start == NOW.replace(hour=9)
    assert listed[0].attendee_ids == ("un-liwen",)  # DingTalk attendees are unionIds
    assert listed[1].location == "Room 3"
    await connector.cancel_event(early.id)
    assert [e.id for e in await connector.events(NOW, NOW + timedelta(days=1))] == [late.id]


async def test_listing_follows_next_token_pages(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    emulator.calendar.page_size = 2
    connector = make_connector()
    for hour in range(9, 14):
        await connector.create_event(draft(f"Call {hour}", hour))
    listed = await connector.events(NOW, NOW + timedelta(days=1))
    assert [e.title for e in listed] == [f"Call {h}" for h in range(9, 14)]


async def test_the_range_excludes_events_outside_it(make_connector: ConnectorFactory) -> None:
    connector = make_connector()
    await connector.create_event(draft("Inside", 10))
    tomorrow = NOW + timedelta(days=1, hours=3)
    await connector.create_event(
        EventDraft(title="Tomorrow", start=tomorrow, end=tomorrow + timedelta(hours=1))
    )
    assert [e.title for e in await connector.events(NOW, NOW + timedelta(hours=12))] == ["Inside"]


async def test_all_day_events_round_trip(make_connector: ConnectorFactory) -> None:
    connector = make_connector()
    day = NOW.replace(hour=0)
    made = await connector.create_event(
        EventDraft(title="Offsite", start=day, end=day + timedelta(days=1), all_day=True)
    )
    assert made.all_day
    assert made.start.date() == NOW.date()


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (EventDraft(title="Backwards", start=NOW, end=NOW - timedelta(hours=1)), "ends before"),
        (EventDraft(title="  ", start=NOW, end=NOW + timedelta(hours=1)), "summary"),
        (
            EventDraft(title="Ghost", start=NOW, end=NOW + timedelta(hours=1), attendee_ids=("x",)),
            "60121",
        ),
    ],
)
async def test_bad_events_are_rejected(
    make_connector: ConnectorFactory, bad: EventDraft, match: str
) -> None:
    with pytest.raises(RejectedError, match=match):
        await make_connector().create_event(bad)


async def test_cancelling_an_unknown_event_is_rejected(make_connector: ConnectorFactory) -> None:
    with pytest.raises(RejectedError, match="eventNotFound"):
        await make_connector().cancel_event("no-such-event")


async def test_calendar_without_union_id_is_a_config_error(
    make_connector: ConnectorFactory,
) -> None:
    with pytest.raises(ConfigError, match="union_id"):
        await make_connector(union_id=None).events(NOW, NOW + timedelta(days=1))


async def test_search_returns_details_and_pages_through_results(
    make_connector: ConnectorFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("connectors.dingtalk.connector.MAX_PAGE", 2)  # force several pages
    found = await make_connector().search_contacts("li", limit=5)
    assert len(found) == 5
    assert all("li" in c.name.lower() for c in found)
    wei = [c for c in await make_connector().search_contacts("Li Wei") if c.name == "Li Wei"]
    assert {c.title for c in wei} == {"Account Manager", "Controller"}
    assert {c.phone for c in wei} == {"13800000001", "13800000002"}


async def test_search_with_no_match_or_blank_query_is_empty(
    make_connector: ConnectorFactory,
) -> None:
    connector = make_connector()
    assert await connector.search_contacts("Nobody Here") == []
    assert await connector.search_contacts("  ") == []


async def test_list_contacts_walks_every_department_in_pages(
    make_connector: ConnectorFactory,
) -> None:
    connector: DingTalkConnector = make_connector()
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await connector.list_contacts(cursor, page_size=3)
        seen.extend(c.id for c in page.contacts)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    people = [u["userid"] for u in DIRECTORY["users"]]
    groups = [*DIRECTORY["groups"], ROBOT_GROUP]
    assert sorted(seen) == sorted(people + groups)
    assert pages >= 5


async def test_groups_are_in_the_directory_search_and_conversations(
    make_connector: ConnectorFactory,
) -> None:
    connector = make_connector()
    [apollo] = await connector.search_contacts("apollo")
    assert (apollo.id, apollo.kind) == ("cidApollo==", "group")
    first = await connector.list_contacts(page_size=500)
    kinds = {c.name: c.kind for c in first.contacts}
    assert kinds["Sales Team"] == kinds["Fleet Alerts"] == "group"
    assert kinds["Li Na"] == "person"
    assert first.next_cursor is None
    names = {c.name: c.kind for c in await connector.conversations()}
    assert names == {"Project Apollo": "group", "Sales Team": "group", "Fleet Alerts": "group"}


async def test_robot_only_search_finds_its_group_without_the_app(
    make_connector: ConnectorFactory,
) -> None:
    connector = make_connector(app_key=None, app_secret_env=None, groups={})
    assert [c.name for c in await connector.search_contacts("fleet")] == ["Fleet Alerts"]
    assert await connector.search_contacts("Li Wei") == []


async def test_a_damaged_cursor_is_rejected(make_connector: ConnectorFactory) -> None:
    with pytest.raises(RejectedError, match="cursor"):
        await make_connector().list_contacts("not-a-cursor!")


async def test_robot_only_configuration_has_no_calendar(make_connector: ConnectorFactory) -> None:
    connector = make_connector(app_key=None, app_secret_env=None)
    with pytest.raises(ConfigError, match="app_key"):
        await connector.events(NOW, datetime.max.replace(tzinfo=NOW.tzinfo))


async def test_a_meeting_already_under_way_is_found(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    long = await connector.create_event(
        EventDraft(title="Workshop", start=NOW.replace(hour=9), end=NOW.replace(hour=12))
    )
    now, soon = NOW.replace(hour=10, minute=30), NOW.replace(hour=11)
    assert connector.api is not None
    # DingTalk's timeMin/timeMax bound the start: asked as is, it is not listed...
    assert await connector.api.list_events("un-zhangsan", now.isoformat(), soon.isoformat()) == []
    # ...so the connector looks further back and decides the overlap itself.
    assert [e.id for e in await connector.events(now, soon)] == [long.id]


async def test_the_lookback_is_a_setting(make_connector: ConnectorFactory) -> None:
    connector = make_connector(calendar_lookback_hours=1)
    await connector.create_event(
        EventDraft(title="All morning", start=NOW.replace(hour=8), end=NOW.replace(hour=13))
    )
    assert await connector.events(NOW.replace(hour=11), NOW.replace(hour=12)) == []


async def test_search_asks_once_for_what_it_needs_with_an_item_offset(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    await make_connector().search_contacts("li", limit=5)
    assert [(r["offset"], r["size"]) for r in emulator.search_requests] == [(0, 5)]


async def test_search_pages_by_item_offset_as_the_documented_example(
    emulator: DingTalkEmulator,
    make_connector: ConnectorFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The documented example starts at offset 0 and the next page starts where
    # the last one ended: offset counts users, not pages.
    monkeypatch.setattr("connectors.dingtalk.connector.MAX_PAGE", 2)
    found = await make_connector().search_contacts("li", limit=5)
    assert [(r["offset"], r["size"]) for r in emulator.search_requests] == [(0, 2), (2, 2), (4, 1)]
    assert len({c.id for c in found}) == 5


async def test_more_lookups_than_the_per_second_limit_all_succeed(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    # 30 user details against DingTalk's 20 calls a second per API: the
    # connector paces them (and would retry one throttled by other cars).
    found = await make_connector().search_contacts("Fleet Driver", limit=30)
    assert sorted(c.id for c in found) == [f"u-driver{i:02d}" for i in range(1, 31)]
    assert all(c.title == "Driver" for c in found)
