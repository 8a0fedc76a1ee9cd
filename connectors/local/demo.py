"""Seed the demo organisation of ``demo_org.yaml`` into a local store."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import yaml

from assistant.models import Contact, Conversation, EventDraft

if TYPE_CHECKING:
    from connectors.local.store import LocalStore


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


def _event(entry: dict[str, Any], start: datetime) -> EventDraft:
    return EventDraft(
        title=entry["title"],
        start=start,
        end=start + timedelta(minutes=entry["minutes"]),
        attendee_ids=tuple(entry.get("attendees", ())),
        location=entry.get("location", ""),
    )
