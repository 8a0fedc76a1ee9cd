"""The CalDAV connector passes the conformance kit against the real Radicale."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from connectors.conformance import conform
from tests.connectors.caldav.test_connector import build
from tests.servers.radicale import RadicaleServer

pytestmark = [pytest.mark.radicale, pytest.mark.timeout(120)]


async def test_caldav_conforms_with_writes(radicale: RadicaleServer, tmp_path: Path) -> None:
    async with httpx.AsyncClient() as http:
        connector = build(radicale.make_calendar("driver"), tmp_path, http)
        try:
            report = await conform(connector, write=True)
        finally:
            await connector.aclose()
    report.assert_ok()
    assert report.ports == ("calendar",)
