"""The ``caldav`` connector: the driver's calendar on any CalDAV server (RFC 4791).

Events are listed with a ``calendar-query`` REPORT (time range, recurrences
expanded by the server), created with ``PUT`` of a new ``<uid>.ics``
(``If-None-Match: *`` so an existing event is never overwritten) and
cancelled with ``DELETE``. An event's id is its path on the server; only
paths inside the configured calendar are accepted for cancelling.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import SecretStr

from assistant.errors import BackendUnavailableError, ConnectorError, RejectedError
from assistant.models import CalendarEvent, EventDraft
from connectors.caldav.config import CalDAVConfig, parse_config
from connectors.caldav.ical import event_to_ical, events_from_ical
from connectors.caldav.webdav import (
    CALDAV,
    DAV,
    DavResource,
    calendar_query,
    parse_multistatus,
    propfind,
    raise_for_status,
)
from connectors.ports import CheckResult
from connectors.registry import ConnectorContext
from connectors.transport import transport_reason

log = logging.getLogger(__name__)


class CalDAVConnector:
    """Calendar port over CalDAV; see the module docstring."""

    name: ClassVar[str] = "caldav"
    needs_network: ClassVar[bool] = True

    def __init__(
        self,
        config: CalDAVConfig,
        password: SecretStr,
        http: httpx.AsyncClient | None = None,
        *,
        zone: tzinfo = UTC,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self._auth = httpx.BasicAuth(config.username, password.get_secret_value())
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=config.timeout)  # verify stays on
        self._zone = zone
        self._now = now or (lambda: datetime.now(UTC))
        self._calendar_url: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], context: ConnectorContext) -> CalDAVConnector:
        """Build from ``[connectors.caldav]``; the password comes from ``context.env``."""
        parsed, password = parse_config(config, context.env)
        return cls(parsed, password, context.http, zone=context.zone, now=context.now)

    def __repr__(self) -> str:
        return f"CalDAVConnector(url={self.config.url!r}, user={self.config.username!r})"

    async def check(self) -> CheckResult:
        """Log in and find the calendar."""
        try:
            url = await self.calendar_url()
        except ConnectorError as exc:
            return CheckResult(False, str(exc))
        return CheckResult(True, f"calendar {url} as {self.config.username}")

    async def aclose(self) -> None:
        """Close the HTTP client if we created it."""
        if self._own_http:
            await self._http.aclose()

    # -- calendar port -----------------------------------------------------------

    async def events(self, start: datetime, end: datetime) -> Sequence[CalendarEvent]:
        """Events overlapping ``[start, end)``, ordered by start."""
        if start.tzinfo is None or end.tzinfo is None:
            raise RejectedError("the time range must carry a time zone")
        url = await self.calendar_url()
        response = await self._request(
            "REPORT", url, calendar_query(start, end), depth="1", what="list events"
        )
        found: list[CalendarEvent] = []
        for resource in parse_multistatus(response.content):
            data = resource.text(f"{CALDAV}calendar-data")
            if data:
                found.extend(events_from_ical(data, resource.href, self._zone))
        overlapping = [e for e in found if e.start < end and (e.end > start or e.start >= start)]
        return sorted(overlapping, key=lambda e: (e.start, e.title))

    async def create_event(self, draft: EventDraft) -> CalendarEvent:
        """PUT a new event; its id is the path of the created resource."""
        uid = str(uuid.uuid4())
        url = urljoin(await self.calendar_url(), f"{uid}.ics")
        body = event_to_ical(uid, draft, self._now())
        await self._request(
            "PUT",
            url,
            body,
            headers={"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"},
            what="create event",
        )
        [created] = events_from_ical(body.decode(), urlsplit(url).path, self._zone)
        return created

    async def cancel_event(self, event_id: str) -> None:
        """DELETE the event stored at ``event_id`` (a path inside the calendar)."""
        calendar = await self.calendar_url()
        url = urljoin(calendar, event_id)
        inside = url.startswith(calendar) and url != calendar and "/../" not in url
        if not inside or not url.endswith(".ics"):
            raise RejectedError(f"not an event of this calendar: {event_id!r}")
        await self._request("DELETE", url, None, what="cancel event")

    # -- discovery -----------------------------------------------------------------

    async def calendar_url(self) -> str:
        """The calendar collection's URL, discovered once."""
        if self._calendar_url is None:
            self._calendar_url = await self._discover()
        return self._calendar_url

    async def _discover(self) -> str:
        start = self.config.url
        here = await self._propfind(start, "0", "D:resourcetype", "D:current-user-principal")
        if here and here[0].is_calendar():
            return start
        principal = here[0].hrefs(f"{DAV}current-user-principal") if here else []
        if not principal:
            raise RejectedError(f"no CalDAV principal found at {start}")
        principal_url = urljoin(start, principal[0])
        homes = (await self._propfind(principal_url, "0", "C:calendar-home-set"))[0].hrefs(
            f"{CALDAV}calendar-home-set"
        )
        if not homes:
            raise RejectedError(f"no calendar home for {self.config.username}")
        home = urljoin(start, homes[0])
        listing = await self._propfind(home, "1", "D:resourcetype", "D:displayname")
        return urljoin(start, self._choose([r for r in listing if r.is_calendar()]))

    def _choose(self, calendars: list[DavResource]) -> str:
        wanted = self.config.calendar
        for resource in sorted(calendars, key=lambda r: r.href):
            segment = resource.href.rstrip("/").rsplit("/", 1)[-1]
            if wanted is None or wanted in (resource.text(f"{DAV}displayname"), segment):
                return resource.href
        named = f" named {wanted!r}" if wanted else ""
        raise RejectedError(f"no calendar{named} for {self.config.username}")

    async def _propfind(self, url: str, depth: str, *props: str) -> list[DavResource]:
        response = await self._request("PROPFIND", url, propfind(*props), depth=depth,
                                       what="discover the calendar")  # fmt: skip
        return parse_multistatus(response.content)

    async def _request(
        self,
        method: str,
        url: str,
        body: str | bytes | None,
        *,
        what: str,
        depth: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {"Content-Type": "application/xml; charset=utf-8"})
        if depth is not None:
            sent["Depth"] = depth
        try:
            response = await self._http.request(
                method, url, content=body, headers=sent, auth=self._auth,
                timeout=self.config.timeout,
            )  # fmt: skip
        except httpx.TimeoutException as exc:
            raise BackendUnavailableError(f"CalDAV server did not answer in time ({what})") from exc
        except httpx.TransportError as exc:
            raise BackendUnavailableError(
                f"cannot reach the CalDAV server at {self.config.url}: {transport_reason(exc)}"
            ) from exc
        raise_for_status(response, f"CalDAV {what}")
        return response
