"""The custom group robot: signing, timestamp window, throttle, at-mentions."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import unquote_plus

import pytest

from assistant.errors import AuthenticationError, NotFoundError, RateLimitedError
from assistant.models import OutgoingMessage
from connectors.dingtalk.signing import robot_sign_params, robot_signature
from tests.connectors.dingtalk.conftest import ROBOT_GROUP, ConnectorFactory, robot_env
from tests.connectors.dingtalk.emulator import DingTalkEmulator


def to_robot(key: str, *, urgent: bool = False) -> OutgoingMessage:
    return OutgoingMessage(
        idempotency_key=key,
        recipient_id=ROBOT_GROUP,
        recipient_name="Fleet Alerts",
        body=f"Convoy update {key}",
        urgent=urgent,
        to_group=True,
    )


def test_signature_is_base64_hmac_sha256_of_timestamp_newline_secret() -> None:
    secret, timestamp = "SECabc", 1_700_000_000_123
    expected = base64.b64encode(
        hmac.new(b"SECabc", b"1700000000123\nSECabc", hashlib.sha256).digest()
    ).decode()
    params = robot_sign_params(secret, timestamp)
    assert robot_signature(secret, timestamp) == expected
    assert params["timestamp"] == "1700000000123"
    assert unquote_plus(params["sign"]) == expected
    assert not set("+/=") & set(params["sign"])  # URL-encoded, safe in a query string


def test_signature_depends_on_timestamp_and_secret() -> None:
    assert robot_signature("SECa", 1) != robot_signature("SECa", 2)
    assert robot_signature("SECa", 1) != robot_signature("SECb", 1)


async def test_robot_posts_signed_text_and_mentions_everyone_when_urgent(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    await connector.send(to_robot("a"))
    await connector.send(to_robot("b", urgent=True))
    plain, urgent = emulator.robot_messages
    assert plain["text"]["content"] == "Convoy update a"
    assert (plain["at"]["isAtAll"], urgent["at"]["isAtAll"]) == (False, True)
    assert emulator.group_messages == []  # not through the app robot


async def test_robot_send_is_idempotent(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    first = await connector.send(to_robot("a"))
    assert await connector.send(to_robot("a")) == first
    assert len(emulator.robot_messages) == 1


async def test_wrong_secret_is_sign_not_match(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    env = {**robot_env(emulator), "DINGTALK_ROBOT_SECRET": "SECwrong"}
    with pytest.raises(AuthenticationError, match="sign not match"):
        await make_connector(env=env).send(to_robot("a"))
    assert emulator.robot_messages == []


async def test_a_clock_more_than_an_hour_off_is_refused(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(skew=3700)  # the car's clock runs over an hour fast
    with pytest.raises(AuthenticationError, match="timestamp"):
        await connector.send(to_robot("a"))


async def test_unknown_robot_token_is_an_authentication_error(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    unknown = f"{emulator.base_url}/robot/send?access_token=nope"
    env = {**robot_env(emulator), "DINGTALK_ROBOT_WEBHOOK": unknown}
    with pytest.raises(AuthenticationError, match="400101"):
        await make_connector(env=env).send(to_robot("a"))


async def test_the_connector_paces_itself_to_twenty_a_minute(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    for i in range(20):
        await connector.send(to_robot(f"m{i}"))
    with pytest.raises(RateLimitedError) as caught:
        await connector.send(to_robot("m20"))
    assert caught.value.retry_after is not None
    assert 0 < caught.value.retry_after <= 60
    assert len(emulator.robot_messages) == 20  # refused locally, never reached DingTalk
    emulator.advance(61)
    await connector.send(to_robot("m20"))
    assert len(emulator.robot_messages) == 21


async def test_the_server_throttle_and_its_ten_minute_penalty_are_rate_limits(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    car_a, car_b = make_connector(data="a"), make_connector(data="b")  # one robot, two cars
    for i in range(20):
        await car_a.send(to_robot(f"a{i}"))
    with pytest.raises(RateLimitedError, match="130101") as caught:
        await car_b.send(to_robot("b0"))
    assert caught.value.retry_after == 600
    emulator.advance(120)
    with pytest.raises(RateLimitedError, match="130101"):
        await car_b.send(to_robot("b0"))  # still inside the penalty
    emulator.advance(600)
    await car_b.send(to_robot("b0"))
    assert len(emulator.robot_messages) == 21


async def test_check_probes_the_robot_without_posting(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    ok = await make_connector(app_key=None, app_secret_env=None).check()
    env = {**robot_env(emulator), "DINGTALK_ROBOT_SECRET": "SECwrong"}
    bad = await make_connector(env=env, app_key=None, app_secret_env=None).check()
    assert ok.ok, ok.detail
    assert "robot signature accepted" in ok.detail
    assert not bad.ok
    assert "sign not match" in bad.detail
    assert emulator.robot_messages == []


def robot_only(emulator: DingTalkEmulator, **env: str) -> dict:
    return {"env": {**robot_env(emulator), **env}, "app_key": None, "app_secret_env": None}


@pytest.mark.parametrize(
    ("breakage", "code", "verdict"),
    [
        ("unknown token", "400101", "authentication failed"),
        ("robot disabled", "400102", "refused"),
        ("group dissolved", "400013", "not found"),
    ],
)
async def test_check_fails_on_a_broken_robot_with_the_reason(
    emulator: DingTalkEmulator,
    make_connector: ConnectorFactory,
    breakage: str,
    code: str,
    verdict: str,
) -> None:
    setup = robot_only(emulator)
    if breakage == "unknown token":
        emulator.robot_token = "rotated"  # our webhook URL still carries the old one
    elif breakage == "robot disabled":
        emulator.robot.enabled = False
    else:
        emulator.robot.group_exists = False
    result = await make_connector(**setup).check()
    assert not result.ok
    assert code in result.detail
    assert verdict in result.detail
    assert emulator.robot_messages == []


async def test_sending_to_a_dissolved_group_is_not_found(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    emulator.robot.group_exists = False
    with pytest.raises(NotFoundError, match="400013"):
        await make_connector().send(to_robot("a"))
