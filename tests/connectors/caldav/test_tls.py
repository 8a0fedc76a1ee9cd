"""TLS verification is on for CalDAV: an untrusted certificate is refused."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from connectors.caldav import CalDAVConnector
from connectors.registry import ConnectorContext
from tests.servers.tls import SelfSignedServer


async def test_an_untrusted_server_certificate_is_refused(tmp_path: Path) -> None:
    with SelfSignedServer(tmp_path) as server:
        table = {"url": server.url, "username": "driver", "password_env": "PW"}
        ctx = ConnectorContext(tmp_path, ZoneInfo("UTC"), None, {"PW": "secret"})
        connector = CalDAVConnector.from_config(table, ctx)
        verdict = await connector.check()
        await connector.aclose()
    assert not verdict.ok
    assert "TLS certificate not trusted" in verdict.detail
