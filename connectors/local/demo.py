"""The demo organisation of ``demo_org.yaml``: seeding it, and keeping its week current.

Only this module seeds; :class:`~connectors.local.store.LocalStore` knows
nothing of the demo (a store opens empty). Messages and meetings are placed
relative to the moment of seeding, and the seeding day is recorded: a demo
store opened on a later day has its whole week moved along by the days that
passed, so "what's on tomorrow" still finds tomorrow's meetings.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, tzinfo
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from assistant.models import Contact, Conversation, EventDraft
from connectors.local.store import LocalStore

log = logging.getLogger(__name__)

#: Meta key holding the local date the demo week is placed around (ISO).
DEMO_DAY = "demo_day"


def open_demo_store(data_dir: Path, now: datetime, zone: tzinfo | None = None) -> LocalStore:
    """Open the store in ``data_dir``, seeding the demo if it is empty, its week current."""
    store = LocalStore.open(data_dir, now=now, zone=zone)
    try:
        if store.is_empty:
            seed_demo_organisation(store, now)
        else:
            move_demo_week(store, now)
    except BaseException:
        store.close()
        raise
    return store


def move_demo_week(store: LocalStore, now: datetime) -> int:
    """Move a demo store's messages and meetings along by the days since it was placed.

    Returns the number of days moved (0 for a current demo, or for a store
    that is not a demo: its data is never touched). A clock set back moves
    nothing: the demo only ever moves forward.
    """
    placed = store.meta(DEMO_DAY)
    if placed is None:
        return 0
    today = now.astimezone(store.zone).date()
    days = (today - date.fromisoformat(placed)).days
    if days <= 0:
        return 0
    store.shift_times(timedelta(days=days))
    store.set_meta(DEMO_DAY, today.isoformat())
    log.info("demo week moved along by %d day(s) to %s", days, today)
    return days


def load_demo_organisation() -> dict[str, Any]:
    """The demo organisation as shipped in the wheel."""
    text = files("connectors.local").joinpath("demo_org.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _contact(entry: dict[str, Any], kind: str = "person") -> Contact:
    return Contact(
        id=entry["id"],
        name=entry["name"],
        kind=kind,  # type: ignore[arg-type]
        department=entry.get("department", ""),
        title=entry.get("title", ""),
        phone=entry.get("phone", ""),
        email=entry.get("email", ""),
        aliases=tuple(entry.get("aliases", ())),
    )


def seed_demo_organisation(store: LocalStore, now: datetime) -> None:
    """Fill ``store`` with the demo people, chats, messages and a week of meetings."""
    org = load_demo_organisation()
    me = _contact(org["me"])
    store.add_contact(me)
    for person in org["people"]:
        store.add_contact(_contact(person))
    for group in org["groups"]:
        store.add_contact(_contact(group, kind="group"))
        store.add_conversation(
            Conversation(group["id"], group["name"], "group", tuple(group["members"]))
        )
    store.set_me(me.id)
    for msg in org["messages"]:
        conv = msg["conversation"]
        conv_id = conv if conv.startswith("g-") else store.direct_conversation_id(conv)
        store.add_message(
            conv_id,
            msg["sender"],
            msg["body"],
            now - timedelta(minutes=msg["minutes_ago"]),
            read=msg.get("read", False),
            urgent=msg.get("urgent", False),
        )
    local_now = now.astimezone(store.zone)
    for event in org["events"]:
        day = local_now.date() + timedelta(days=event["day"])
        start = datetime.combine(day, time.fromisoformat(event["start"]), tzinfo=store.zone)
        store.create_event(_event(event, start))
    store.set_meta(DEMO_DAY, local_now.date().isoformat())


def _event(entry: dict[str, Any], start: datetime) -> EventDraft:
    return EventDraft(
        title=entry["title"],
        start=start,
        end=start + timedelta(minutes=entry["minutes"]),
        attendee_ids=tuple(entry.get("attendees", ())),
        location=entry.get("location", ""),
    )
