"""TLS verification is on: an untrusted certificate is refused, with a clear reason."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx

from connectors.matrix import MatrixConnector
from tests.connectors.matrix.helpers import context
from tests.servers.tls import SelfSignedServer


async def test_an_untrusted_homeserver_certificate_is_refused(tmp_path: Path) -> None:
    with SelfSignedServer(tmp_path) as server:
        table = {"homeserver": server.url, "user_id": "@driver:localhost",
                 "access_token_env": "T", "timeout": 20.0}  # fmt: skip
        env = {"T": "syt_token"}
        refused = MatrixConnector.from_config(table, context(tmp_path, None, env))
        verdict = await refused.check()
        await refused.aclose()
        # Control: the same server answers a client told to trust its certificate.
        trusting = ssl.create_default_context(cafile=str(server.cert))
        async with httpx.AsyncClient(verify=trusting) as http:
            accepted = MatrixConnector.from_config(table, context(tmp_path, http, env))
            assert (await accepted.check()).ok
    assert not verdict.ok
    assert "TLS certificate not trusted" in verdict.detail
