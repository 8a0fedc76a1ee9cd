"""An enterprise backend under uvicorn per module; a fresh one per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.registry import ConnectorContext
from connectors.webhook import WebhookConnector
from tests.conftest import ZONE
from tests.connectors.webhook.enterprise import EnterpriseBackend
from tests.connectors.webhook.loopback import serve

SECRET = "whsec-4f1e9b7c2d8a6e30"
ENV = {"ENTERPRISE_WEBHOOK_SECRET": SECRET}


class Switch:
    """ASGI app forwarding to the current test's enterprise backend."""

    def __init__(self) -> None:
        self.target: EnterpriseBackend | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.target is not None
        await self.target.app(scope, receive, send)


@pytest.fixture(scope="module")
def enterprise_server() -> Iterator[tuple[Switch, str]]:
    switch = Switch()
    with serve(switch) as base_url:
        yield switch, base_url


@pytest.fixture
def enterprise(enterprise_server: tuple[Switch, str]) -> EnterpriseBackend:
    switch, _ = enterprise_server
    switch.target = EnterpriseBackend(SECRET)
    return switch.target


@pytest.fixture
def enterprise_url(enterprise_server: tuple[Switch, str]) -> str:
    return enterprise_server[1] + "/drivetalk/events"


WebhookFactory = Callable[..., WebhookConnector]


@pytest.fixture
async def make_webhook(enterprise_url: str, tmp_path: Path) -> AsyncIterator[WebhookFactory]:
    built: list[WebhookConnector] = []

    def make(env: dict[str, str] | None = None, **overrides: Any) -> WebhookConnector:
        config = {
            "url": enterprise_url,
            "secret_env": "ENTERPRISE_WEBHOOK_SECRET",
            "sender_id": "car-042",
            "sender_name": "Zhang San",
            **overrides,
        }
        context = ConnectorContext(
            data_dir=tmp_path,
            zone=ZONE,
            env=ENV if env is None else env,
            now=lambda: datetime.now(ZONE),
        )
        connector = WebhookConnector.from_config(config, context)
        built.append(connector)
        return connector

    yield make
    for connector in built:
        await connector.aclose()
