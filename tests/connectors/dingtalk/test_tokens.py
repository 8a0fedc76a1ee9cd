"""The access token against DingTalk's clock: rejected mid-session, and a suspended car.

DingTalk answers an expired or revoked token on the v1.0 APIs with HTTP 400
``InvalidAuthentication`` (and on the oapi host with errcode 40014/42001); the
emulator does the same. The token's expiry is kept on the wall clock, which
keeps running while the car is suspended; ``time.monotonic`` would not.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from assistant.errors import AuthenticationError
from assistant.models import OutgoingMessage
from connectors.dingtalk import DingTalkConnector
from connectors.dingtalk.settings import parse_settings, read_secrets
from connectors.dingtalk.token import AccessTokenCache
from tests.conftest import ZONE
from tests.connectors.dingtalk.conftest import ENV, ConnectorFactory, base_config, robot_env
from tests.connectors.dingtalk.emulator import DingTalkEmulator


def outgoing(key: str) -> OutgoingMessage:
    return OutgoingMessage(key, "u-liwei-sales", "Li Wei", f"Message {key}")


class SuspendableClock:
    """A clock that can be told to stand still while the "car" is suspended.

    ``frozen`` stands in for ``time.monotonic`` on Linux, which does not count
    suspended time; unfrozen, it follows the emulator's wall clock.
    """

    def __init__(self, emulator: DingTalkEmulator) -> None:
        self._emulator = emulator
        self._lost = 0.0
        self._suspended_at: float | None = None

    def __call__(self) -> float:
        now = self._emulator.now() - self._lost
        return now if self._suspended_at is None else self._suspended_at

    def suspend(self) -> None:
        self._suspended_at = self()

    def resume(self, *, counts_suspended_time: bool) -> None:
        assert self._suspended_at is not None
        if not counts_suspended_time:
            self._lost += self._emulator.now() - self._lost - self._suspended_at
        self._suspended_at = None


async def test_a_token_revoked_mid_session_is_replaced_and_nothing_is_lost(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    await connector.send(outgoing("before"))
    await connector.search_contacts("Li Wen")  # the oapi host shares the token
    emulator.revoke_tokens()  # e.g. the app secret was reset by an administrator
    await connector.send(outgoing("after"))  # v1.0: HTTP 400 InvalidAuthentication
    assert [m["msgParam"] for m in emulator.oto_messages] == [
        '{"content": "Message before"}',
        '{"content": "Message after"}',
    ]
    emulator.revoke_tokens()
    [li_wen] = await connector.search_contacts("Li Wen")  # oapi: errcode 40014
    assert li_wen.id == "u-liwen"
    assert emulator.token_requests == 3
    assert emulator.token_rejections == 2


async def test_a_suspended_car_fetches_a_new_token_before_calling(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    clock = SuspendableClock(emulator)
    connector = make_connector(clock=clock)
    await connector.send(outgoing("evening"))
    clock.suspend()
    emulator.advance(10 * 3600)  # parked overnight; DingTalk's clock keeps going
    clock.resume(counts_suspended_time=True)  # the wall clock counted the night
    await connector.send(outgoing("morning"))
    assert emulator.token_requests == 2
    assert emulator.token_rejections == 0  # refreshed before use, not after a refusal


async def test_a_clock_that_missed_the_suspend_is_still_saved_by_the_rejection(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    # What time.monotonic does on Linux: the night never happened. The token
    # looks fresh; DingTalk refuses it; the connector replaces it and retries.
    clock = SuspendableClock(emulator)
    connector = make_connector(clock=clock)
    await connector.send(outgoing("evening"))
    clock.suspend()
    emulator.advance(10 * 3600)
    clock.resume(counts_suspended_time=False)
    await connector.send(outgoing("morning"))
    assert emulator.token_rejections == 1
    assert len(emulator.oto_messages) == 2


async def test_the_token_clock_is_the_wall_clock_by_default(
    emulator: DingTalkEmulator, tmp_path: Path
) -> None:
    settings = parse_settings(base_config(emulator))
    async with httpx.AsyncClient() as http:
        connector = DingTalkConnector(
            settings,
            read_secrets(settings, robot_env(emulator)),
            http=http,
            data_dir=tmp_path,
            zone=ZONE,
            now=lambda: datetime.now(ZONE),
        )
        assert connector.api is not None
        assert connector.api.tokens.clock is time.time
        await connector.aclose()


async def test_a_wall_clock_set_back_does_not_keep_a_token_alive() -> None:
    now = [1_000_000.0]
    issued = iter(["t1", "t2"])

    async def fetch() -> tuple[SecretStr, float]:
        return SecretStr(next(issued)), 7200.0

    cache = AccessTokenCache(fetch, clock=lambda: now[0])
    first = await cache.get()
    now[0] -= 3600  # NTP set the clock an hour back: the token's age is unknown
    assert (await cache.get()).get_secret_value() == "t2"
    assert first.get_secret_value() == "t1"


async def test_wrong_app_secret_is_not_retried_as_a_token_problem(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(env={**ENV, "DINGTALK_APP_SECRET": "wrong"}, robot=None)
    with pytest.raises(AuthenticationError, match="invalidClientIdOrSecret"):
        await connector.send(outgoing("k"))
    assert emulator.token_requests == 0
