"""The HTTP edge of the Matrix connector: status codes to errors, secrets kept out.

These run against ``httpx.MockTransport`` because they pin the translation
table itself (every status class, malformed bodies, timeouts); the behaviour
against a real homeserver is in ``test_connector.py``.
"""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from assistant.errors import (
    AuthenticationError,
    BackendUnavailableError,
    ConfigError,
    ConnectorError,
    RateLimitedError,
    RejectedError,
)
from assistant.models import Message
from connectors.matrix import MatrixConnector
from connectors.matrix.client import MatrixClient
from connectors.matrix.config import parse_config

TOKEN = "syt_super_secret_token_value"
PASSWORD = "hunter2-but-longer"
TABLE = {"homeserver": "https://matrix.example.org/", "user_id": "@driver:example.org"}


def client_for(handler: httpx.MockTransport, **secret: str) -> MatrixClient:
    env = {"MX_TOKEN": TOKEN, "MX_PASSWORD": PASSWORD}
    table = {**TABLE, **secret} if secret else {**TABLE, "access_token_env": "MX_TOKEN"}
    config, credentials = parse_config(table, env)
    return MatrixClient(config, credentials, httpx.AsyncClient(transport=handler))


def answering(status: int, body: object = None, headers: dict[str, str] | None = None,
              raw: bytes | None = None) -> httpx.MockTransport:  # fmt: skip
    def handle(request: httpx.Request) -> httpx.Response:
        content = raw if raw is not None else json.dumps(body or {}).encode()
        return httpx.Response(status, content=content, headers=headers)

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "retry_after"),
    [
        (429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 2500}, {}, RateLimitedError, 2.5),
        (429, {"errcode": "M_LIMIT_EXCEEDED"}, {"Retry-After": "7"}, RateLimitedError, 7.0),
        # An HTTP-date is read too (the shared layer); one in the past means "now".
        (429, {}, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, RateLimitedError, 0.0),
        (500, {}, {}, BackendUnavailableError, None),
        (502, None, {}, BackendUnavailableError, None),
        (503, {"errcode": "M_UNKNOWN"}, {}, BackendUnavailableError, None),
        (401, {"errcode": "M_UNKNOWN_TOKEN"}, {}, AuthenticationError, None),
        (403, {"errcode": "M_FORBIDDEN"}, {}, AuthenticationError, None),
        (400, {"errcode": "M_BAD_JSON"}, {}, RejectedError, None),
        (404, {"errcode": "M_NOT_FOUND"}, {}, RejectedError, None),
        (413, {"errcode": "M_TOO_LARGE"}, {}, RejectedError, None),
    ],
)
async def test_status_codes_become_the_error_tree(
    status: int,
    body: dict[str, object] | None,
    headers: dict[str, str],
    error: type[ConnectorError],
    retry_after: float | None,
) -> None:
    client = client_for(answering(status, body, headers))
    with pytest.raises(error) as caught:
        await client.request("GET", "/account/whoami")
    assert type(caught.value) is error
    assert f"HTTP {status}" in str(caught.value)
    assert caught.value.retryable == (status == 429 or status >= 500)
    if isinstance(caught.value, RateLimitedError):
        assert caught.value.retry_after == retry_after


async def test_timeouts_and_refusals_are_unavailable() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(BackendUnavailableError, match="in time"):
        await client_for(httpx.MockTransport(timeout)).request("GET", "/sync")
    with pytest.raises(BackendUnavailableError, match="cannot reach"):
        await client_for(httpx.MockTransport(refused)).request("GET", "/sync")


@pytest.mark.parametrize("raw", [b"<html>proxy login</html>", b"[1, 2]", b""])
async def test_a_success_that_is_not_a_json_object_is_an_error(raw: bytes) -> None:
    with pytest.raises(ConnectorError, match="JSON"):
        await client_for(answering(200, raw=raw)).request("GET", "/sync")


async def test_every_request_carries_a_timeout_and_the_token_only_in_a_header() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"user_id": "@driver:example.org"})

    await client_for(httpx.MockTransport(handle)).request("GET", "/account/whoami")
    [request] = seen
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(request.url)
    assert all(request.extensions["timeout"][k] == 10.0 for k in ("connect", "read"))


async def test_password_login_uses_the_fixed_device_and_then_the_token() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"access_token": "syt_fresh", "device_id": "DRIVETALK"})
        return httpx.Response(200, json={})

    client = client_for(httpx.MockTransport(handle), password_env="MX_PASSWORD")
    await client.request("GET", "/joined_rooms")
    login, call = seen
    assert json.loads(login.content)["device_id"] == "DRIVETALK"
    assert "Authorization" not in login.headers
    assert call.headers["Authorization"] == "Bearer syt_fresh"


async def test_secrets_stay_out_of_reprs_errors_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = client_for(answering(401, {"errcode": "M_UNKNOWN_TOKEN", "error": "Invalid"}))
    with pytest.raises(AuthenticationError) as caught:
        await client.request("GET", "/account/whoami")
    config, credentials = parse_config({**TABLE, "password_env": "P"}, {"P": PASSWORD})
    shown = " ".join([repr(client), str(caught.value), repr(credentials), caplog.text,
                      repr(config), repr(parse_config({**TABLE, "access_token_env": "T"},
                                                      {"T": TOKEN}))])  # fmt: skip
    assert TOKEN not in shown
    assert PASSWORD not in shown


@pytest.mark.parametrize(
    ("table", "env", "message"),
    [
        ({**TABLE}, {}, "needs access_token_env or password_env"),
        ({**TABLE, "access_token_env": "MX"}, {}, "MX is not set"),
        ({**TABLE, "password_env": "PW"}, {"PW": ""}, "PW is not set"),
        ({**TABLE, "homeserver": "matrix.example.org", "access_token_env": "MX"}, {}, "https://"),
        ({**TABLE, "user_id": "driver", "access_token_env": "MX"}, {}, "@name:server"),
        ({**TABLE, "access_token_env": "MX", "timeout": 0}, {"MX": "t"}, "timeout"),
        ({**TABLE, "access_token": TOKEN}, {}, "access_token"),
    ],
)
def test_bad_config_is_a_clear_config_error(
    table: dict[str, object], env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_config(table, env)
    assert TOKEN not in str(caught.value)


async def test_an_expired_token_is_renewed_once_with_the_password() -> None:
    tokens = iter(["syt_first", "syt_second"])
    paths: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path.rsplit("/", 1)[-1])
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"access_token": next(tokens)})
        if request.headers["Authorization"] == "Bearer syt_first":
            return httpx.Response(401, json={"errcode": "M_UNKNOWN_TOKEN", "soft_logout": True})
        return httpx.Response(200, json={"ok": True})

    client = client_for(httpx.MockTransport(handle), password_env="MX_PASSWORD")
    assert await client.request("GET", "/joined_rooms") == {"ok": True}
    assert paths == ["login", "joined_rooms", "login", "joined_rooms"]


async def test_a_rejected_fixed_token_is_not_retried() -> None:
    calls: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(401, json={"errcode": "M_UNKNOWN_TOKEN"})

    with pytest.raises(AuthenticationError):
        await client_for(httpx.MockTransport(handle)).request("GET", "/joined_rooms")
    assert len(calls) == 1


def sync_body(batch: str, *bodies: str) -> dict[str, object]:
    events = [
        {"type": "m.room.message", "event_id": f"${batch}{i}", "sender": "@li.na:example.org",
         "origin_server_ts": 1_795_000_000_000, "content": {"msgtype": "m.text", "body": body}}
        for i, body in enumerate(bodies)
    ]  # fmt: skip
    return {
        "next_batch": batch,
        "rooms": {"join": {"!r:example.org": {"timeline": {"events": events}}}},
    }


async def test_incoming_rides_out_server_errors_and_stops_on_auth_failure() -> None:
    answers = iter([
        httpx.Response(200, json=sync_body("s0")),  # starting position (nothing old announced)
        httpx.Response(502, text="bad gateway"),
        httpx.Response(429, json={"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 10}),
        httpx.Response(200, json=sync_body("s1", "are you driving?")),
        httpx.Response(401, json={"errcode": "M_UNKNOWN_TOKEN"}),
    ])  # fmt: skip
    since: list[str | None] = []

    def handle(request: httpx.Request) -> httpx.Response:
        since.append(request.url.params.get("since"))
        return next(answers)

    config, credentials = parse_config({**TABLE, "access_token_env": "T"}, {"T": TOKEN})
    connector = MatrixConnector(
        config, credentials, httpx.AsyncClient(transport=httpx.MockTransport(handle))
    )
    received: list[Message] = []

    async def listen() -> None:
        async for message in connector.incoming():
            received.append(message)

    with pytest.raises(AuthenticationError):
        await listen()
    assert [(m.body, m.sender_name, m.conversation_id) for m in received] == [
        ("are you driving?", "li.na", "!r:example.org")
    ]
    assert since == [None, "s0", "s0", "s0", "s1"]
    await connector.aclose()
