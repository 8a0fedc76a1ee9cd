"""Webhook configuration errors, registry wiring and secrets that never leak."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import ConfigError, DriveTalkError
from assistant.models import OutgoingMessage
from connectors.ports import MessagingPort
from connectors.registry import ConnectorContext, build
from connectors.webhook import WebhookConnector
from tests.conftest import ZONE
from tests.connectors.webhook.conftest import ENV, SECRET, WebhookFactory
from tests.connectors.webhook.enterprise import EnterpriseBackend

GOOD = {"url": "https://chat.example.com/drivetalk", "secret_env": "ENTERPRISE_WEBHOOK_SECRET"}
BAD: list[tuple[str, dict[str, Any], dict[str, str], str]] = [
    ("no url", {"secret_env": "S"}, ENV, "url"),
    ("plain http", {**GOOD, "url": "http://chat.example.com/x"}, ENV, "must use https"),
    ("secret in the file", {**GOOD, "secret": "abc"}, ENV, "secret"),
    ("secret unset", GOOD, {}, "ENTERPRISE_WEBHOOK_SECRET"),
    ("secret too short", GOOD, {"ENTERPRISE_WEBHOOK_SECRET": "tiny-s3"}, "too short"),
    ("inbound secret unset", {**GOOD, "inbound_secret_env": "IN"}, ENV, "IN"),
    ("window too small", {**GOOD, "replay_window": 1}, ENV, "replay_window"),
    ("zero timeout", {**GOOD, "timeout": 0}, ENV, "timeout"),
]


def context(tmp_path: Path, env: dict[str, str]) -> ConnectorContext:
    return ConnectorContext(data_dir=tmp_path, zone=ZONE, env=env)


@pytest.mark.parametrize(("why", "config", "env", "match"), BAD, ids=[b[0] for b in BAD])
def test_bad_config_is_a_config_error(
    tmp_path: Path, why: str, config: dict[str, Any], env: dict[str, str], match: str
) -> None:
    with pytest.raises(ConfigError, match=match) as caught:
        WebhookConnector.from_config(config, context(tmp_path, env))
    for value in env.values():
        assert value not in str(caught.value)


async def test_the_registry_builds_a_messaging_connector(tmp_path: Path) -> None:
    connector = build("webhook", GOOD, context(tmp_path, ENV))
    assert isinstance(connector, MessagingPort)
    assert connector.needs_network
    await connector.aclose()


async def test_secrets_stay_out_of_reprs_errors_and_logs(
    enterprise: EnterpriseBackend, make_webhook: WebhookFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    connector = make_webhook()
    texts = [repr(connector), repr(connector.settings)]
    await connector.send(OutgoingMessage("k", "u1", "Li Wei", "hello"))
    wrong = make_webhook(env={"ENTERPRISE_WEBHOOK_SECRET": "another-secret-of-16+"})
    with pytest.raises(DriveTalkError) as caught:
        await wrong.send(OutgoingMessage("k2", "u1", "Li Wei", "hello"))
    texts += [str(caught.value), repr(await wrong.check()), caplog.text]
    assert len(enterprise.deliveries) == 1
    for text in texts:
        assert SECRET not in text
        assert "another-secret-of-16+" not in text
