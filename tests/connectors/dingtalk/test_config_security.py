"""Configuration errors and secrets that never leak."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.errors import ConfigError, DriveTalkError
from assistant.models import OutgoingMessage
from connectors.dingtalk import DingTalkConnector
from connectors.dingtalk.redact import redact
from connectors.ports import CalendarPort, DirectoryPort, MessagingPort
from connectors.registry import ConnectorContext, build
from tests.conftest import ZONE
from tests.connectors.dingtalk.conftest import ENV, ConnectorFactory, base_config, robot_env
from tests.connectors.dingtalk.emulator import DingTalkEmulator

BAD = json.loads(Path(__file__).with_name("bad_configs.json").read_text())


def context(tmp_path: Path, env: dict[str, str]) -> ConnectorContext:
    return ConnectorContext(data_dir=tmp_path, zone=ZONE, env=env)


@pytest.mark.parametrize("case", BAD, ids=[c["why"] for c in BAD])
def test_bad_config_is_a_config_error_naming_the_key(tmp_path: Path, case: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=case["match"]) as caught:
        DingTalkConnector.from_config(case["config"], context(tmp_path, case["env"]))
    for value in case["env"].values():
        if value.strip():
            assert value not in str(caught.value)


async def test_the_registry_builds_it_with_every_port(
    emulator: DingTalkEmulator, tmp_path: Path
) -> None:
    connector = build("dingtalk", base_config(emulator), context(tmp_path, robot_env(emulator)))
    assert isinstance(connector, MessagingPort | CalendarPort | DirectoryPort)
    assert all(isinstance(connector, p) for p in (MessagingPort, CalendarPort, DirectoryPort))
    assert connector.needs_network
    await connector.aclose()


def secrets_of(emulator: DingTalkEmulator) -> list[str]:
    return [emulator.app_secret, emulator.robot_secret, emulator.robot_token]


async def test_secrets_stay_out_of_reprs_errors_and_logs(
    emulator: DingTalkEmulator,
    make_connector: ConnectorFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    connector = make_connector()
    texts = [repr(connector), repr(connector.api), repr(connector.robot), repr(connector.settings)]
    await connector.send(OutgoingMessage("k", "cidRobotGroup==", "Fleet", "hello", to_group=True))
    assert connector.api is not None
    await connector.api.tokens.get()
    texts.append(repr(connector.api.tokens))
    failures: list[DriveTalkError] = []
    for env in (
        {**robot_env(emulator), "DINGTALK_ROBOT_SECRET": "SECwrong"},
        {**robot_env(emulator), "DINGTALK_APP_SECRET": "wrong-secret"},
    ):
        broken = make_connector(env=env)
        for call in (
            broken.check,
            lambda b=broken: b.send(
                OutgoingMessage("k2", "cidRobotGroup==", "Fleet", "hi", to_group=True)
            ),
            lambda b=broken: b.search_contacts("Li"),
        ):
            try:
                outcome = await call()
                texts.append(repr(outcome))
            except DriveTalkError as exc:
                failures.append(exc)
    down = make_connector(api_base="http://127.0.0.1:9", oapi_base="http://127.0.0.1:9")
    with pytest.raises(DriveTalkError) as caught:
        await down.search_contacts("Li")
    failures.append(caught.value)
    texts += [str(f) for f in failures] + [caplog.text]
    assert failures
    for secret in secrets_of(emulator):
        for text in texts:
            assert secret not in text


async def test_unreachable_robot_error_hides_its_url(
    make_connector: ConnectorFactory,
) -> None:
    env = {**ENV, "DINGTALK_ROBOT_WEBHOOK": "http://127.0.0.1:9/robot/send?access_token=t0psecret"}
    connector = make_connector(env=env)
    with pytest.raises(DriveTalkError) as caught:
        await connector.send(OutgoingMessage("k", "cidRobotGroup==", "F", "hi", to_group=True))
    assert "t0psecret" not in str(caught.value)
    assert "unreachable" in str(caught.value)


async def test_own_http_client_has_the_configured_timeout(tmp_path: Path) -> None:
    connector = DingTalkConnector.from_config(
        {"app_key": "k", "app_secret_env": "S"}, context(tmp_path, {"S": "s"})
    )
    http = connector._http
    assert isinstance(http, httpx.AsyncClient)
    assert http.timeout.read == connector.settings.timeout
    await connector.aclose()
    assert http.is_closed


def test_redaction_masks_tokens_in_logged_urls() -> None:
    url = "POST https://oapi.dingtalk.com/robot/send?access_token=abc123&timestamp=17&sign=zz%2B"
    assert redact(url) == (
        "POST https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=17&sign=***"
    )
    assert redact("GET wss://wss-open-connection.dingtalk.com/connect?ticket=t1") == (
        "GET wss://wss-open-connection.dingtalk.com/connect?ticket=***"
    )
