"""One emulator server per module; a fresh emulator state and connector per test."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.dingtalk import DingTalkConnector
from connectors.dingtalk.settings import parse_settings, read_secrets
from tests.conftest import ZONE
from tests.connectors.dingtalk.emulator import DIRECTORY, DingTalkEmulator
from tests.connectors.webhook.loopback import serve

ENV = {
    "DINGTALK_APP_SECRET": "app-secret-7f3c9a",
    "DINGTALK_ROBOT_SECRET": "SECrobot-secret-0b1d",
}
ROBOT_GROUP = "cidRobotGroup=="


class Switch:
    """An ASGI app forwarding to the current test's emulator."""

    def __init__(self) -> None:
        self.target: DingTalkEmulator | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.target is not None
        await self.target.app(scope, receive, send)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Switch, str]]:
    """A real uvicorn on loopback serving whichever emulator the test installs."""
    switch = Switch()
    with serve(switch) as base_url:
        yield switch, base_url


@pytest.fixture
def emulator(server: tuple[Switch, str]) -> DingTalkEmulator:
    """A fresh emulated DingTalk behind the module's server."""
    switch, base_url = server
    switch.target = DingTalkEmulator()
    switch.target.base_url = base_url
    return switch.target


def base_config(emulator: DingTalkEmulator, **overrides: Any) -> dict[str, Any]:
    """A complete ``[connectors.dingtalk]`` table pointing at the emulator."""
    config: dict[str, Any] = {
        "api_base": emulator.base_url,
        "oapi_base": emulator.base_url,
        "app_key": emulator.app_key,
        "app_secret_env": "DINGTALK_APP_SECRET",
        "union_id": "un-zhangsan",
        "user_id": "u-zhangsan",
        "reconnect_max": 2.0,
        "groups": dict(DIRECTORY["groups"]),
        "robot": {
            "webhook_env": "DINGTALK_ROBOT_WEBHOOK",
            "secret_env": "DINGTALK_ROBOT_SECRET",
            "conversation_id": ROBOT_GROUP,
            "name": "Fleet Alerts",
        },
    }
    config.update(overrides)
    return config


def robot_env(emulator: DingTalkEmulator) -> dict[str, str]:
    """The environment with every secret, the robot URL included."""
    url = f"{emulator.base_url}/robot/send?access_token={emulator.robot_token}"
    return {**ENV, "DINGTALK_ROBOT_WEBHOOK": url}


ConnectorFactory = Callable[..., DingTalkConnector]


@pytest.fixture
async def make_connector(
    emulator: DingTalkEmulator, tmp_path: Path
) -> AsyncIterator[ConnectorFactory]:
    """Build connectors on the emulator's clock; all closed after the test."""
    built: list[DingTalkConnector] = []
    http = httpx.AsyncClient()

    def make(
        env: dict[str, str] | None = None,
        data: str = "data",
        skew: float = 0.0,
        clock: Callable[[], float] | None = None,
        **overrides: Any,
    ) -> DingTalkConnector:
        settings = parse_settings(base_config(emulator, **overrides))
        secrets = read_secrets(settings, robot_env(emulator) if env is None else env)
        connector = DingTalkConnector(
            settings,
            secrets,
            http=http,
            data_dir=tmp_path / data,
            zone=ZONE,
            now=lambda: datetime.fromtimestamp(emulator.now() + skew, ZONE),
            clock=clock or emulator.now,
        )
        built.append(connector)
        return connector

    yield make
    for connector in built:
        await connector.aclose()
    await http.aclose()


async def eventually(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait (generously, for a loaded CI machine) until ``predicate()`` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)
