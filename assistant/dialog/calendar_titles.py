"""Titles of the driver's calendar events, for a command that names one.

"cancel the budget check-in" is parsed again with the titles of the events
around now (:attr:`intents.result.ParseContext.titles`), so the event's own
title wins over the grammar's occasion words ("check in"). Only a command
naming an event costs a calendar read, which its flow would do next anyway.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from assistant.errors import ConnectorError
from assistant.models import Intent
from connectors.ports import CalendarPort
from intents.result import ParseResult

#: The events whose titles are offered: from a day ago to a month ahead.
BEFORE = timedelta(days=1)
AHEAD = timedelta(days=31)


def names_an_event(result: ParseResult) -> bool:
    """A cancel or move that names an event by title."""
    return result.intent is Intent.CANCEL_EVENT and isinstance(result.slots.get("title"), str)


async def event_titles(connector: object, now: datetime) -> tuple[str, ...]:
    """Titles of the events around ``now`` (none without a calendar, or if it fails)."""
    if not isinstance(connector, CalendarPort):
        return ()
    try:
        events = await connector.events(now - BEFORE, now + AHEAD)
    except ConnectorError:
        return ()  # the flow's own read reports the failure
    return tuple(dict.fromkeys(e.title for e in events if e.title))
