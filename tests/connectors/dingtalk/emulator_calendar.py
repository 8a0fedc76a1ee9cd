"""The emulator's calendar API: ``/v1.0/calendar/users/{unionId}/calendars/primary/events``.

Enforced: a live token, a known unionId, a non-empty summary (<= 2048
characters), start/end given as ``{dateTime, timeZone}`` or ``{date}`` with
the end after the start, ``maxResults`` <= 100 with ``nextToken`` paging, and
``eventNotFound`` for unknown ids.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import JSONResponse, Response

if TYPE_CHECKING:
    from tests.connectors.dingtalk.emulator import DingTalkEmulator

PATH = "/v1.0/calendar/users/{union_id}/calendars/primary/events"


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, dict):
        return None
    try:
        if "dateTime" in value:
            moment = datetime.fromisoformat(str(value["dateTime"]))
            ZoneInfo(str(value.get("timeZone", "UTC")))
            return moment if moment.tzinfo else None
        return datetime.combine(date.fromisoformat(str(value["date"])), time(0), ZoneInfo("UTC"))
    except (KeyError, ValueError):
        return None


class Calendars:
    """Primary calendars of the directory's users, by unionId."""

    def __init__(self, union_ids: set[str]) -> None:
        self.events: dict[str, dict[str, dict[str, Any]]] = {uid: {} for uid in union_ids}
        self.page_size = 100

    def create(self, union_id: str, body: dict[str, Any]) -> dict[str, Any] | str:
        """The stored event, or an error code."""
        summary = body.get("summary")
        if not isinstance(summary, str) or not summary.strip() or len(summary) > 2048:
            return "invalidParameter.summary"
        start, end = _instant(body.get("start")), _instant(body.get("end"))
        if start is None or end is None or end <= start:
            return "invalidParameter.time"
        event = {**body, "id": uuid.uuid4().hex, "status": "confirmed"}
        self.events[union_id][event["id"]] = event
        return event

    def listing(self, union_id: str, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
        """Events overlapping [lo, hi), by start."""
        hits = []
        for event in self.events[union_id].values():
            start, end = _instant(event["start"]), _instant(event["end"])
            if start is not None and end is not None and start < hi and end > lo:
                hits.append((start, event))
        return [event for _, event in sorted(hits, key=lambda pair: pair[0])]


def add_routes(emulator: DingTalkEmulator) -> None:
    """Mount the calendar routes on the emulator's app."""
    app, calendars = emulator.app, emulator.calendar

    def denied(request: Request, union_id: str) -> JSONResponse | None:
        if (bad := emulator.check_token(request)) is not None:
            return bad
        if union_id not in calendars.events:
            return _error(400, "invalidParameter.unionId", "unknown unionId")
        return None

    @app.post(PATH)
    async def create(union_id: str, request: Request) -> JSONResponse:
        if (bad := denied(request, union_id)) is not None:
            return bad
        try:
            body = await request.json()
        except ValueError:
            body = None
        outcome = calendars.create(union_id, body if isinstance(body, dict) else {})
        if isinstance(outcome, str):
            return _error(400, outcome, "invalid event")
        return JSONResponse(outcome)

    @app.get(PATH)
    async def listing(union_id: str, request: Request) -> JSONResponse:
        if (bad := denied(request, union_id)) is not None:
            return bad
        query = request.query_params
        try:
            lo = datetime.fromisoformat(query["timeMin"])
            hi = datetime.fromisoformat(query["timeMax"])
            limit = int(query.get("maxResults", "100"))
            offset = int(query.get("nextToken", "0"))
        except (KeyError, ValueError):
            return _error(400, "invalidParameter.time", "timeMin/timeMax must be ISO 8601")
        if lo.tzinfo is None or hi.tzinfo is None or not 1 <= limit <= 100:
            return _error(400, "invalidParameter.maxResults", "bad time zone or maxResults")
        hits = calendars.listing(union_id, lo, hi)
        size = min(limit, calendars.page_size)
        page: dict[str, Any] = {"events": hits[offset : offset + size]}
        if offset + size < len(hits):
            page["nextToken"] = str(offset + size)
        return JSONResponse(page)

    @app.delete(PATH + "/{event_id}")
    async def delete(union_id: str, event_id: str, request: Request) -> Response:
        if (bad := denied(request, union_id)) is not None:
            return bad
        if calendars.events[union_id].pop(event_id, None) is None:
            return _error(404, "eventNotFound", "event not found")
        return Response(status_code=200)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status)
