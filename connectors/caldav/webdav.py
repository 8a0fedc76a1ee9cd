"""WebDAV/CalDAV request bodies, multistatus parsing and HTTP error translation."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from assistant.errors import ConnectorError
from connectors.http_errors import error_for_response

DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
_NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"'


def propfind(*props: str) -> str:
    """A PROPFIND body asking for ``props`` (given as ``D:name`` / ``C:name``)."""
    wanted = "".join(f"<{p}/>" for p in props)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><D:propfind {_NS}>'
        f"<D:prop>{wanted}</D:prop></D:propfind>"
    )


def calendar_query(start: datetime, end: datetime) -> str:
    """A REPORT body: VEVENTs overlapping ``[start, end)``, recurrences expanded."""
    s, e = _utc(start), _utc(end)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><C:calendar-query {_NS}>'
        f'<D:prop><C:calendar-data><C:expand start="{s}" end="{e}"/></C:calendar-data></D:prop>'
        '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        f'<C:time-range start="{s}" end="{e}"/>'
        "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
    )


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True, slots=True)
class DavResource:
    """One ``<D:response>`` of a multistatus: its href and the properties found (200)."""

    href: str
    props: dict[str, ET.Element] = field(default_factory=dict)

    def text(self, name: str) -> str:
        """Text of property ``name`` (Clark notation), or ""."""
        element = self.props.get(name)
        return (element.text or "").strip() if element is not None else ""

    def hrefs(self, name: str) -> list[str]:
        """``<D:href>`` values inside property ``name``."""
        element = self.props.get(name)
        if element is None:
            return []
        return [(h.text or "").strip() for h in element.iter(f"{DAV}href")]

    def is_calendar(self) -> bool:
        """Whether ``resourcetype`` says this is a calendar collection."""
        element = self.props.get(f"{DAV}resourcetype")
        return element is not None and element.find(f"{CALDAV}calendar") is not None


def parse_multistatus(body: bytes) -> list[DavResource]:
    """The responses of a 207 body; ConnectorError if it is not a multistatus."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ConnectorError("the CalDAV server sent malformed XML") from exc
    if root.tag != f"{DAV}multistatus":
        raise ConnectorError("the CalDAV server did not answer with a multistatus")
    resources = []
    for response in root.iter(f"{DAV}response"):
        href = (response.findtext(f"{DAV}href") or "").strip()
        props: dict[str, ET.Element] = {}
        for propstat in response.iter(f"{DAV}propstat"):
            if " 200 " in (propstat.findtext(f"{DAV}status") or ""):
                for prop in propstat.iter(f"{DAV}prop"):
                    props.update({child.tag: child for child in prop})
        resources.append(DavResource(href, props))
    return resources


def raise_for_status(response: httpx.Response, what: str) -> None:
    """Translate an HTTP error status into the project's error tree (the shared ladder)."""
    if response.status_code >= 400:
        detail = f"{what}: HTTP {response.status_code} {response.reason_phrase}".rstrip()
        raise error_for_response(response, detail)
