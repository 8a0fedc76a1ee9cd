"""The error table, row by row: every documented code, answered by the emulator,
becomes the error the rest of DriveTalk acts on (retry, re-authenticate, tell
the driver). Cases live in ``error_table.json``; a row of
``connectors.dingtalk.codes.TABLE`` without a case fails the coverage test.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import (
    AuthenticationError,
    BackendUnavailableError,
    ConnectorError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
)
from assistant.models import OutgoingMessage
from connectors.dingtalk.codes import TABLE
from connectors.dingtalk.connector import DingTalkConnector
from tests.conftest import NOW
from tests.connectors.dingtalk.conftest import ROBOT_GROUP, ConnectorFactory
from tests.connectors.dingtalk.emulator import DingTalkEmulator

DATA = json.loads(Path(__file__).with_name("error_table.json").read_text())
CASES = DATA["rows"] + DATA["fallbacks"]

EXPECTED: dict[str, type[ConnectorError]] = {
    "throttled": RateLimitedError,
    "unavailable": BackendUnavailableError,
    "auth": AuthenticationError,
    "refused": RejectedError,
    "not_found": NotFoundError,
}


def message(to: str, *, group: bool = False) -> OutgoingMessage:
    """A new message (a fresh idempotency key: the ledger must not answer for it)."""
    return OutgoingMessage(uuid.uuid4().hex, to, "them", "Hello", to_group=group)


Operation = Callable[[DingTalkConnector], Awaitable[Any]]
OPERATIONS: dict[str, Operation] = {
    "oto": lambda c: c.send(message("u-liwei-sales")),
    "group": lambda c: c.send(message("cidApollo==", group=True)),
    "robot": lambda c: c.send(message(ROBOT_GROUP, group=True)),
    "calendar": lambda c: c.events(NOW, NOW + timedelta(hours=1)),
    "departments": lambda c: c.list_contacts(),
}


def case_id(case: dict[str, Any]) -> str:
    return f"{case['api']}-{case['code']}"


def test_every_row_of_the_table_has_a_case_and_a_documentation_page() -> None:
    assert {c["code"]: c["kind"] for c in DATA["rows"]} == {
        code: rule.kind for code, rule in TABLE.items()
    }
    for code, rule in TABLE.items():
        assert rule.doc.startswith("https://open.dingtalk.com/document/"), code


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] != "token"], ids=case_id)
async def test_a_documented_failure_becomes_its_error(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory, case: dict[str, Any]
) -> None:
    connector = make_connector()
    emulator.fail_next(case["api"], case["code"], status=case.get("status", 400))
    with pytest.raises(ConnectorError) as caught:
        await OPERATIONS[case["api"]](connector)
    assert type(caught.value) is EXPECTED[case["kind"]]
    assert str(case["code"]) in str(caught.value)
    assert caught.value.retryable == (case["kind"] in ("throttled", "unavailable"))
    if case["kind"] == "throttled":
        assert isinstance(caught.value, RateLimitedError)
        assert caught.value.retry_after == case.get("retry_after")


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "token"], ids=case_id)
async def test_a_rejected_token_is_replaced_and_the_call_retried_once(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory, case: dict[str, Any]
) -> None:
    connector = make_connector()
    await OPERATIONS[case["api"]](connector)  # a token is cached
    emulator.fail_next(case["api"], case["code"], status=case.get("status", 400))
    await OPERATIONS[case["api"]](connector)
    assert emulator.token_requests == 2
    assert connector.api is not None
    assert connector.api.tokens.rejections == 1


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "token"], ids=case_id)
async def test_a_token_refused_twice_is_an_authentication_error(
    emulator: DingTalkEmulator, make_connector: ConnectorFactory, case: dict[str, Any]
) -> None:
    connector = make_connector()
    emulator.fail_next(case["api"], case["code"], status=case.get("status", 400), times=2)
    with pytest.raises(AuthenticationError, match="access token rejected"):
        await OPERATIONS[case["api"]](connector)
    assert emulator.token_requests == 2  # one retry, not a loop
