"""DingTalk JSON <-> DriveTalk value types (pure functions, no I/O)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from assistant.errors import RejectedError
from assistant.models import CalendarEvent, Contact, EventDraft, Message, OutgoingMessage


def message_template(message: OutgoingMessage) -> tuple[str, str]:
    """(msgKey, msgParam) for an app-robot message; urgent ones are bold markdown."""
    if message.urgent:
        text = f"**Urgent**\n\n{message.body}"
        return "sampleMarkdown", json.dumps({"title": "Urgent", "text": text}, ensure_ascii=False)
    return "sampleText", json.dumps({"content": message.body}, ensure_ascii=False)


def contact_from_user(user: dict[str, Any]) -> Contact:
    """A directory person from an oapi user record."""
    return Contact(
        id=str(user.get("userid", "")),
        name=str(user.get("name", "")),
        title=str(user.get("title", "") or ""),
        phone=str(user.get("mobile", "") or ""),
        email=str(user.get("email", "") or user.get("org_email", "") or ""),
    )


def message_from_callback(data: dict[str, Any], zone: ZoneInfo) -> tuple[Message, str] | None:
    """(message, "direct"|"group") from a robot callback, or None if it is not text."""
    text = data.get("text")
    content = text.get("content") if isinstance(text, dict) else None
    msg_id, conv_id = data.get("msgId"), data.get("conversationId")
    if not isinstance(content, str) or not msg_id or not conv_id:
        return None
    group = str(data.get("conversationType", "1")) == "2"
    sender = str(data.get("senderNick", "") or "")
    created = data.get("createAt")
    sent_at = (
        datetime.fromtimestamp(created / 1000, zone)
        if isinstance(created, int | float)
        else datetime.now(zone)
    )
    message = Message(
        id=str(msg_id),
        conversation_id=str(conv_id),
        conversation_name=str(data.get("conversationTitle") or sender) if group else sender,
        sender_id=str(data.get("senderStaffId") or data.get("senderId") or ""),
        sender_name=sender,
        body=content.strip(),
        sent_at=sent_at,
    )
    return message, "group" if group else "direct"


def _when(moment: datetime, all_day: bool) -> dict[str, str]:
    if all_day:
        return {"date": moment.date().isoformat()}
    zone = moment.tzinfo
    name = zone.key if isinstance(zone, ZoneInfo) else "UTC"
    instant = moment if isinstance(zone, ZoneInfo) else moment.astimezone(UTC)
    return {"dateTime": instant.isoformat(), "timeZone": name}


def event_body(draft: EventDraft, attendee_union_ids: list[str]) -> dict[str, Any]:
    """The create-event request body."""
    body: dict[str, Any] = {
        "summary": draft.title,
        "start": _when(draft.start, draft.all_day),
        "end": _when(draft.end, draft.all_day),
        "isAllDay": draft.all_day,
    }
    if attendee_union_ids:
        body["attendees"] = [{"id": uid, "isOptional": False} for uid in attendee_union_ids]
    if draft.location:
        body["location"] = {"displayName": draft.location}
    return body


def _parse_when(value: Any, zone: ZoneInfo) -> datetime:
    if not isinstance(value, dict):
        raise RejectedError("DingTalk calendar: event without start/end")
    if value.get("dateTime"):
        moment = datetime.fromisoformat(str(value["dateTime"]))
        return moment if moment.tzinfo else moment.replace(tzinfo=zone)
    day = date.fromisoformat(str(value.get("date")))
    return datetime.combine(day, time(0), zone)


def event_from_json(data: dict[str, Any], zone: ZoneInfo) -> CalendarEvent:
    """A CalendarEvent from DingTalk's event JSON (attendee ids are unionIds)."""
    try:
        start, end = _parse_when(data.get("start"), zone), _parse_when(data.get("end"), zone)
    except ValueError as exc:
        raise RejectedError("DingTalk calendar: unreadable event time") from exc
    location = data.get("location")
    attendees = data.get("attendees") or []
    return CalendarEvent(
        id=str(data.get("id", "")),
        title=str(data.get("summary", "")),
        start=start,
        end=end,
        attendee_ids=tuple(str(a.get("id")) for a in attendees if isinstance(a, dict)),
        location=str(location.get("displayName", "")) if isinstance(location, dict) else "",
        all_day=bool(data.get("isAllDay", False)),
    )


def encode_cursor(queue: list[int], cursor: int, expanded: bool, groups: int = 0) -> str:
    """An opaque directory cursor: departments still to walk, the position, groups given."""
    raw = json.dumps({"q": queue, "c": cursor, "x": expanded, "g": groups}).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_cursor(token: str) -> tuple[list[int], int, bool, int | None]:
    """Inverse of :func:`encode_cursor` (groups None: all given); a damaged cursor is rejected."""
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        queue = [int(d) for d in state["q"]]
        groups = int(state["g"]) if "g" in state else None
        return queue, int(state["c"]), bool(state["x"]), groups
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise RejectedError("DingTalk directory: invalid paging cursor") from exc
