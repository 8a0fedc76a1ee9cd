"""Idempotency keys DingTalk understands, derived from DriveTalk's own.

The outbox hands every message to ``send`` with the idempotency key it made
when the driver confirmed, on every attempt. The custom robot de-duplicates
on ``msgUuid`` and the calendar on the ``x-client-token`` header (valid a
day), so both are derived deterministically from that key: every retry of
one message or event carries the same value, and different keys never share
one. UUID 5 gives a fixed-length, URL-safe value whatever the key looks like.
"""

from __future__ import annotations

import json
import uuid

from assistant.models import EventDraft

#: Fixed namespace: the same key maps to the same value in every process and car.
_NAMESPACE = uuid.UUID("0b9e8a53-5c52-4d8f-9a4e-3d1f6f1c2a77")


def _derive(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, json.dumps(parts, ensure_ascii=False)))


def robot_msg_uuid(idempotency_key: str) -> str:
    """The custom robot's ``msgUuid`` for one outgoing message."""
    return _derive("robot", idempotency_key)


def create_token(owner: str, draft: EventDraft, idempotency_key: str | None = None) -> str:
    """``x-client-token`` for creating ``draft`` in ``owner``'s calendar.

    With the caller's idempotency key it is derived from that; without one,
    from the draft itself, so retrying the same draft creates one event (the
    same title, time, attendees and place twice within a day are one event).
    """
    if idempotency_key is not None:
        return _derive("calendar-create", owner, idempotency_key)
    fields = (
        draft.title,
        draft.start.isoformat(),
        draft.end.isoformat(),
        ",".join(draft.attendee_ids),
        draft.location,
        str(draft.all_day),
    )
    return _derive("calendar-create", owner, *fields)


def delete_token(owner: str, event_id: str) -> str:
    """``x-client-token`` for deleting one event: a retried delete deletes once."""
    return _derive("calendar-delete", owner, event_id)
