"""Enterprise-app robot messages, access tokens and idempotent sends."""

from __future__ import annotations

import asyncio
import json

import pytest

from assistant.errors import (
    AuthenticationError,
    BackendUnavailableError,
    RateLimitedError,
    RejectedError,
)
from assistant.models import OutgoingMessage
from tests.connectors.dingtalk.conftest import ENV, ConnectorFactory
from tests.connectors.dingtalk.emulator import DingTalkEmulator


def outgoing(key: str = "k1", to: str = "u-liwei-sales", **kw: object) -> OutgoingMessage:
    fields: dict = {"body": "Running ten minutes late", "recipient_name": "Li Wei", **kw}
    return OutgoingMessage(idempotency_key=key, recipient_id=to, **fields)


async def test_direct_message_reaches_the_user_as_sample_text(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    receipt = await make_connector().send(outgoing())
    [sent] = emulator.oto_messages
    assert sent["userIds"] == ["u-liwei-sales"]
    assert sent["robotCode"] == emulator.app_key
    assert (sent["msgKey"], json.loads(sent["msgParam"])) == (
        "sampleText",
        {"content": "Running ten minutes late"},
    )
    assert receipt.conversation_id == "u-liwei-sales"
    assert receipt.message_id


async def test_urgent_message_is_bold_markdown(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    await make_connector().send(outgoing(urgent=True))
    [sent] = emulator.oto_messages
    assert sent["msgKey"] == "sampleMarkdown"
    assert json.loads(sent["msgParam"])["text"].startswith("**Urgent**")


async def test_group_message_goes_to_the_open_conversation(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    await make_connector().send(outgoing(to="cidApollo==", to_group=True))
    [sent] = emulator.group_messages
    assert sent["openConversationId"] == "cidApollo=="
    assert emulator.oto_messages == []


async def test_same_idempotency_key_is_delivered_once_even_after_a_restart(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    first = await make_connector().send(outgoing("same"))
    again = await make_connector().send(outgoing("same"))  # a new process, same data dir
    elsewhere = await make_connector(data="other-car").send(outgoing("same"))
    assert again == first
    assert elsewhere != first  # the ledger is per data dir: another car is another sender
    assert len(emulator.oto_messages) == 2


async def test_concurrent_sends_of_one_key_in_one_process_deliver_once(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    receipts = await asyncio.gather(*(connector.send(outgoing("k")) for _ in range(5)))
    assert len(set(receipts)) == 1
    assert len(emulator.oto_messages) == 1


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (outgoing(to="u-nobody"), "unknown user id"),
        (outgoing(body="x" * 16_000), "msgParam"),
        (outgoing(to="cidNoSuchGroup==", to_group=True), "openConversationId"),
        (outgoing(body="   "), "empty"),
    ],
)
async def test_refused_messages_raise_rejected_with_the_reason(
    make_connector: ConnectorFactory, message: OutgoingMessage, expected: str
) -> None:
    with pytest.raises(RejectedError, match=expected):
        await make_connector().send(message)


async def test_a_token_is_fetched_once_and_shared_by_concurrent_callers(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    await asyncio.gather(*(connector.send(outgoing(f"k{i}")) for i in range(8)))
    assert emulator.token_requests == 1


async def test_the_token_is_refreshed_before_it_expires(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    await connector.send(outgoing("a"))
    emulator.advance(7200 - 200)  # inside the 300 s margin: still valid on the server
    await connector.send(outgoing("b"))
    assert emulator.token_requests == 2
    emulator.advance(100)
    await connector.send(outgoing("c"))
    assert emulator.token_requests == 2


async def test_short_lived_tokens_are_refreshed_at_half_life(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    emulator.token_lifetime = 20  # shorter than the margin
    connector = make_connector()
    await connector.send(outgoing("a"))
    emulator.advance(11)
    await connector.send(outgoing("b"))
    assert emulator.token_requests == 2


async def test_a_token_the_server_dropped_is_replaced_once(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    await connector.send(outgoing("a"))
    emulator.revoke_tokens()  # revoked server-side: the next call gets 400 InvalidAuthentication
    await connector.send(outgoing("b"))
    assert emulator.token_requests == 2
    assert len(emulator.oto_messages) == 2


async def test_wrong_app_secret_is_an_authentication_error(
    make_connector: ConnectorFactory,
) -> None:
    connector = make_connector(env={**ENV, "DINGTALK_APP_SECRET": "wrong"}, robot=None)
    with pytest.raises(AuthenticationError, match="invalidClientIdOrSecret"):
        await connector.send(outgoing())


async def test_qps_throttling_is_rate_limited(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    emulator.fail_next("oto", "Forbidden.AccessDenied.QpsLimitForApi", status=403)
    with pytest.raises(RateLimitedError):
        await connector.send(outgoing("a"))
    await connector.send(outgoing("a"))  # the retry goes through, once
    assert len(emulator.oto_messages) == 1


async def test_unreachable_backend_is_unavailable(make_connector: ConnectorFactory) -> None:
    connector = make_connector(api_base="http://127.0.0.1:9", robot=None)
    with pytest.raises(BackendUnavailableError, match="unreachable"):
        await connector.send(outgoing())


async def test_check_reports_a_clear_verdict(
    make_connector: ConnectorFactory,
) -> None:
    good = await make_connector().check()
    bad = await make_connector(env={**ENV, "DINGTALK_APP_SECRET": "wrong"}, robot=None).check()
    assert good.ok, good.detail
    assert "authenticated" in good.detail
    assert not bad.ok
    assert "authentication failed" in bad.detail
