"""Inbound pushes signed with the stock Standard Webhooks library are accepted."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from tests.connectors.webhook.conftest import SECRET
from tests.connectors.webhook.test_inbound import PATH, event, inbound  # noqa: F401

#: How the enterprise configures the library: our shared secret, as a whsec_ key.
LIBRARY_KEY = "whsec_" + base64.b64encode(SECRET.encode()).decode()
OTHER_KEY = "whsec_" + base64.b64encode(b"x" * 32).decode()


def standard(
    payload: dict[str, Any], *, key: str = LIBRARY_KEY, age: float = 0
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(payload).encode()
    when = datetime.now(UTC) - timedelta(seconds=age)
    signature = Webhook(key).sign("msg_1", when, raw.decode())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }
    return raw, headers


async def test_a_push_signed_by_the_stock_library_is_accepted(inbound: Any) -> None:  # noqa: F811
    client, connector = inbound
    raw, headers = standard(event())
    answer = await client.post(PATH, content=raw, headers=headers)
    assert answer.status_code == 202, answer.text
    assert [m.id for m in await connector.unread_messages()] == ["m-1"]


async def test_rotation_lists_several_signatures_and_one_match_is_enough(inbound: Any) -> None:  # noqa: F811
    client, _ = inbound
    raw, headers = standard(event())
    headers["webhook-signature"] = "v1,bm90IGl0 " + headers["webhook-signature"]
    assert (await client.post(PATH, content=raw, headers=headers)).status_code == 202


@pytest.mark.parametrize(
    ("why", "change", "code"),
    [
        (
            "another key",
            {"key": "whsec_" + base64.b64encode(b"x" * 32).decode()},
            "invalid_signature",
        ),
        ("stale", {"age": 3600}, "stale_timestamp"),
    ],
)
async def test_a_bad_standard_signature_is_refused(
    inbound: Any,  # noqa: F811
    why: str,
    change: dict[str, Any],
    code: str,
) -> None:
    client, connector = inbound
    raw, headers = standard(event(), **change)
    answer = await client.post(PATH, content=raw, headers=headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, code)
    assert await connector.unread_messages() == []


async def test_a_tampered_body_is_refused(inbound: Any) -> None:  # noqa: F811
    client, _ = inbound
    raw, headers = standard(event())
    answer = await client.post(PATH, content=raw.replace(b"3pm", b"4pm"), headers=headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "invalid_signature")


async def test_a_missing_id_is_named(inbound: Any) -> None:  # noqa: F811
    client, _ = inbound
    raw, headers = standard(event())
    del headers["webhook-id"]
    answer = await client.post(PATH, content=raw, headers=headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "missing_signature")
