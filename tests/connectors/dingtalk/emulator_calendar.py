"""The emulator's calendar API: ``/v1.0/calendar/users/{unionId}/calendars/primary/events``.

As documented (``codes.DOC_CAL_CREATE``, ``DOC_CAL_DELETE``, ``DOC_CAL_LIST``):
a live token, a known unionId, a non-empty summary (<= 2048 characters),
start/end given as ``{dateTime, timeZone}`` or ``{date}`` with the end after
the start; ``timeMin``/``timeMax`` bound the event's *start* (an event that
began before ``timeMin`` is not listed even if it is still going on);
``maxResults`` <= 100 with ``nextToken`` paging; ``eventNotFound`` for
unknown ids. Create and delete take an ``x-client-token`` header: the same
token within a day creates (or deletes) once, and repeats get the first answer.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from tests.connectors.dingtalk.emulator_shapes import api_error, json_body

if TYPE_CHECKING:
    from tests.connectors.dingtalk.emulator import DingTalkEmulator

PATH = "/v1.0/calendar/users/{union_id}/calendars/primary/events"
#: DOC_CAL_CREATE: an x-client-token is honoured for a day.
CLIENT_TOKEN_TTL_S = 24 * 3600


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
    """Primary calendars of the directory's users, by unionId, and their routes."""

    def __init__(self, emulator: DingTalkEmulator, union_ids: set[str]) -> None:
        self.emulator = emulator
        self.events: dict[str, dict[str, dict[str, Any]]] = {uid: {} for uid in union_ids}
        self.page_size = 100
        #: x-client-token -> (when first used, the answer then given).
        self.client_tokens: dict[str, tuple[float, dict[str, Any] | None]] = {}
        #: Events really created (a de-duplicated repeat does not count).
        self.created = 0
        self._add_routes()

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
        self.created += 1
        return event

    def listing(self, union_id: str, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
        """Events that *start* in [lo, hi], by start (DOC_CAL_LIST)."""
        hits = []
        for event in self.events[union_id].values():
            start = _instant(event["start"])
            if start is not None and lo <= start <= hi:
                hits.append((start, event))
        return [event for _, event in sorted(hits, key=lambda pair: pair[0])]

    def _repeat(self, request: Request) -> tuple[str | None, dict[str, Any] | None, bool]:
        """(token, first answer, whether this is a repeat within the token's day)."""
        token = request.headers.get("x-client-token")
        if token is None:
            return None, None, False
        seen = self.client_tokens.get(token)
        if seen is None or self.emulator.now() - seen[0] > CLIENT_TOKEN_TTL_S:
            return token, None, False
        return token, seen[1], True

    def _add_routes(self) -> None:
        app, emulator = self.emulator.app, self.emulator

        def denied(request: Request, union_id: str) -> JSONResponse | None:
            if (bad := emulator.check_token(request, "calendar")) is not None:
                return bad
            if union_id not in self.events:
                return api_error(400, "invalidParameter.unionId", "unknown unionId")
            return None

        @app.post(PATH)
        async def create(union_id: str, request: Request) -> JSONResponse:
            if (bad := denied(request, union_id)) is not None:
                return bad
            token, first, repeat = self._repeat(request)
            if repeat and first is not None:
                return JSONResponse(first)  # DOC_CAL_CREATE: same token, same event
            outcome = self.create(union_id, await json_body(request) or {})
            if isinstance(outcome, str):
                return api_error(400, outcome, "invalid event")
            if token is not None:
                self.client_tokens[token] = (emulator.now(), outcome)
            await emulator.hold_answer("calendar_create")
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
                return api_error(400, "invalidParameter.time", "timeMin/timeMax must be ISO 8601")
            if lo.tzinfo is None or hi.tzinfo is None or not 1 <= limit <= 100:
                return api_error(400, "invalidParameter.maxResults", "bad time zone or maxResults")
            hits = self.listing(union_id, lo, hi)
            size = min(limit, self.page_size)
            page: dict[str, Any] = {"events": hits[offset : offset + size]}
            if offset + size < len(hits):
                page["nextToken"] = str(offset + size)
            return JSONResponse(page)

        @app.delete(PATH + "/{event_id}")
        async def delete(union_id: str, event_id: str, request: Request) -> Response:
            if (bad := denied(request, union_id)) is not None:
                return bad
            token, _, repeat = self._repeat(request)
            if repeat:
                return Response(status_code=200)  # DOC_CAL_DELETE: deleted once already
            if self.events[union_id].pop(event_id, None) is None:
                return api_error(404, "eventNotFound", "event not found")
            if token is not None:
                self.client_tokens[token] = (emulator.now(), None)
            return Response(status_code=200)
