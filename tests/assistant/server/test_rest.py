"""The REST API on a real uvicorn: keys, tenants, limits, turns, errors, operations."""

from __future__ import annotations

import io
import sqlite3
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.config import ServerLimits, ServerSettings, TTSSettings
from assistant.server.app import create_app
from assistant.server.ratelimit import RateLimiter
from connectors.local.store import DB_NAME
from tests.assistant.server.live import (
    OPERATOR_ENV,
    OPERATOR_TOKEN,
    Live,
    make_key,
    serve,
    server_settings,
)

LIMITS = ServerLimits(
    request_bytes=256 * 1024,
    audio_seconds=6.0,
    sessions_per_key=3,
    rate_per_key=50.0,
    burst_per_key=200,
    text_chars=200,
)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """The server on each engine: SQLite files, or keys, sessions and outbox in PostgreSQL."""
    data_dir = tmp_path_factory.mktemp("server")
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres").create_database()
    settings = server_settings(
        data_dir,
        tts=TTSSettings(enabled=False),
        server=ServerSettings(limits=LIMITS, database_url=url),
    )
    with serve(create_app(settings, env=OPERATOR_ENV)) as running:
        yield running


@pytest.fixture(scope="module")
def keys(live: Live) -> dict[str, str]:
    settings = live.app.state.server.settings
    return {
        "a1": make_key(settings, "acme", "car-1"),
        "a2": make_key(settings, "acme", "car-2"),
        "b1": make_key(settings, "globex", "truck-1"),
        "limits": make_key(settings, "acme", "car-limits"),
        "revoked": make_key(settings, "acme", "car-old"),
    }


@pytest.fixture
def client(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=60) as http:
        yield http


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


#: Sessions a test opened: (key, id), closed after the test.
OPENED: list[tuple[str, str]] = []


@pytest.fixture(autouse=True)
def close_sessions(client: httpx.Client) -> Iterator[None]:
    yield
    while OPENED:
        key, session = OPENED.pop()
        client.delete(f"/v1/sessions/{session}", headers=auth(key))


def open_session(client: httpx.Client, key: str) -> str:
    response = client.post("/v1/sessions", headers=auth(key), json={"audio": False})
    assert response.status_code == 201, response.text
    OPENED.append((key, response.json()["id"]))
    return str(response.json()["id"])


def say(client: httpx.Client, key: str, session: str, text: str) -> httpx.Response:
    return client.post(f"/v1/sessions/{session}/turns/text", headers=auth(key), json={"text": text})


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


# -- health and auth -----------------------------------------------------------


def test_healthz_needs_no_key(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("POST", "/v1/sessions"),
        ("GET", "/v1/sessions/whatever"),
        ("POST", "/v1/sessions/whatever/turns/text"),
    ],
)
def test_every_other_route_needs_a_key(client: httpx.Client, method: str, path: str) -> None:
    assert_error(client.request(method, path), 401, "unauthorized")
    bad = client.request(method, path, headers=auth("dtk_000000000000_" + "x" * 43))
    assert_error(bad, 401, "unauthorized")


def test_a_revoked_key_is_refused_at_once(client: httpx.Client, live: Live, keys: dict) -> None:
    unknown = "/v1/sessions/no-such-session"
    assert_error(client.get(unknown, headers=auth(keys["revoked"])), 404, "session_not_found")
    key_id = keys["revoked"].split("_")[1]
    live.app.state.server.keys.revoke(key_id)
    assert_error(client.get(unknown, headers=auth(keys["revoked"])), 401, "unauthorized")


# -- tenants -------------------------------------------------------------------


def test_another_tenants_or_vehicles_session_is_not_found(
    client: httpx.Client, keys: dict[str, str]
) -> None:
    session = open_session(client, keys["a1"])
    for other in ("b1", "a2"):
        assert_error(
            client.get(f"/v1/sessions/{session}", headers=auth(keys[other])),
            404,
            "session_not_found",
        )
        assert_error(
            say(client, keys[other], session, "read my messages"), 404, "session_not_found"
        )
        response = client.delete(f"/v1/sessions/{session}", headers=auth(keys[other]))
        assert_error(response, 404, "session_not_found")
    assert client.get(f"/v1/sessions/{session}", headers=auth(keys["a1"])).status_code == 200
    assert client.delete(f"/v1/sessions/{session}", headers=auth(keys["a1"])).status_code == 204


def test_a_confirmed_message_lands_in_the_senders_tenant_only(
    client: httpx.Client, keys: dict[str, str], live: Live
) -> None:
    session = open_session(client, keys["a1"])
    first = say(client, keys["a1"], session, "send a message to Zhang San saying acme rocks")
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["understanding"]["intent"] == "send_message"
    assert body["reply_text"].endswith("Send it?")
    confirmed = say(client, keys["a1"], session, "yes").json()
    assert confirmed["understanding"]["intent"] == "confirm"
    assert confirmed["replies"] == ["Sent to Zhang San."]
    open_session_b = open_session(client, keys["b1"])  # opens tenant B's own store
    assert say(client, keys["b1"], open_session_b, "read my messages").status_code == 200
    data_dir = live.app.state.server.settings.data_dir
    assert _bodies(data_dir / "tenants" / "acme").count("acme rocks") == 1
    assert "acme rocks" not in _bodies(data_dir / "tenants" / "globex")
    assert ("acme rocks", "delivered") in _outbox(live, "acme")


def _outbox(live: Live, tenant: str) -> list[tuple[object, ...]]:
    """(body, state) of the tenant's outbox, wherever the server keeps it."""
    shared = live.app.state.server.shared
    sql = "SELECT lower(body), state FROM outbox"
    if shared is not None:
        return shared.query(f"{sql} WHERE tenant = ?", (tenant,))
    data_dir = live.app.state.server.settings.data_dir
    with sqlite3.connect(data_dir / "tenants" / tenant / "outbox.sqlite3") as outbox:
        return [tuple(row) for row in outbox.execute(sql).fetchall()]


def _bodies(tenant_dir: Path) -> list[str]:
    with sqlite3.connect(tenant_dir / DB_NAME) as db:
        return [row[0].lower() for row in db.execute("SELECT body FROM messages")]


# -- limits --------------------------------------------------------------------


def test_sessions_per_key_are_limited(client: httpx.Client, keys: dict[str, str]) -> None:
    opened = [open_session(client, keys["limits"]) for _ in range(LIMITS.sessions_per_key)]
    response = client.post("/v1/sessions", headers=auth(keys["limits"]))
    assert_error(response, 429, "too_many_sessions")
    client.delete(f"/v1/sessions/{opened[0]}", headers=auth(keys["limits"]))
    opened[0] = open_session(client, keys["limits"])
    for session in opened:
        client.delete(f"/v1/sessions/{session}", headers=auth(keys["limits"]))


def test_request_rate_is_limited_per_key_with_retry_after(
    client: httpx.Client, live: Live, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slow bucket so the test cannot race the refill on a loaded machine.
    monkeypatch.setattr(live.app.state.server, "limiter", RateLimiter(rate=0.01, burst=5))
    unknown = "/v1/sessions/no-such-session"
    responses = [client.get(unknown, headers=auth(keys["a2"])) for _ in range(8)]
    assert [r.status_code for r in responses] == [404] * 5 + [429] * 3
    assert_error(responses[5], 429, "rate_limited")
    assert int(responses[5].headers["Retry-After"]) >= 1
    assert client.get(unknown, headers=auth(keys["b1"])).status_code == 404  # per key


def test_a_body_over_the_size_limit_is_413(client: httpx.Client, keys: dict[str, str]) -> None:
    session = open_session(client, keys["a1"])
    big = b"RIFF" + b"\0" * (LIMITS.request_bytes + 10)
    response = client.post(
        f"/v1/sessions/{session}/turns/audio",
        headers={**auth(keys["a1"]), "Content-Type": "audio/wav"},
        content=big,
    )
    assert_error(response, 413, "request_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(LIMITS.request_bytes // 4096 + 4):
            yield b"\0" * 4096

    streamed = client.post(
        f"/v1/sessions/{session}/turns/audio",
        headers={**auth(keys["a1"]), "Content-Type": "audio/wav"},
        content=chunks(),
    )
    assert_error(streamed, 413, "request_too_large")


def test_text_over_the_limit_is_413(client: httpx.Client, keys: dict[str, str]) -> None:
    session = open_session(client, keys["a1"])
    assert_error(
        say(client, keys["a1"], session, "x" * (LIMITS.text_chars + 1)), 413, "text_too_long"
    )


# -- bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"text": 5}', b'{"text": ""}', b'{"text": "hi", "extra": 1}'],
)
def test_malformed_text_turns_are_422(
    client: httpx.Client, keys: dict[str, str], content: bytes
) -> None:
    session = open_session(client, keys["a2"])
    response = client.post(
        f"/v1/sessions/{session}/turns/text",
        headers={**auth(keys["a2"]), "Content-Type": "application/json"},
        content=content,
    )
    assert_error(response, 422, "invalid_request")
    client.delete(f"/v1/sessions/{session}", headers=auth(keys["a2"]))


def _wav(seconds: float, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(rate * seconds))
    return buffer.getvalue()


@pytest.mark.vosk
@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"", 400, "empty_body"),
        (b"this is not a wav file at all", 415, "bad_audio"),
        (_wav(1.0)[:30], 415, "bad_audio"),
        (_wav(LIMITS.audio_seconds + 1, rate=8000), 413, "audio_too_long"),
    ],
)
def test_bad_audio_uploads_get_specific_errors(
    client: httpx.Client, keys: dict[str, str], content: bytes, status: int, code: str
) -> None:
    session = open_session(client, keys["a2"])
    response = client.post(
        f"/v1/sessions/{session}/turns/audio",
        headers={**auth(keys["a2"]), "Content-Type": "audio/wav"},
        content=content,
    )
    assert_error(response, status, code)
    client.delete(f"/v1/sessions/{session}", headers=auth(keys["a2"]))


def test_unknown_routes_and_methods_use_the_error_shape(client: httpx.Client) -> None:
    assert_error(client.get("/v1/nothing"), 404, "not_found")
    assert_error(client.put("/healthz"), 405, "method_not_allowed")


# -- speech and operations -------------------------------------------------------


@pytest.mark.vosk
@pytest.mark.espeak
def test_an_audio_turn_returns_transcript_understanding_and_reply(
    client: httpx.Client, keys: dict[str, str], korean_wav: Path
) -> None:
    session = open_session(client, keys["a1"])
    response = client.post(
        f"/v1/sessions/{session}/turns/audio",
        headers={**auth(keys["a1"]), "Content-Type": "audio/wav"},
        content=korean_wav.read_bytes(),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["transcript"].strip()
    assert body["alternatives"][0]["text"] == body["transcript"]
    assert 1.0 < body["audio_seconds"] < 6.0
    assert body["understanding"]["intent"] == "none"  # Korean is out of the English domain
    assert body["reply_text"]


@pytest.mark.vosk
def test_readyz_loads_the_model_and_metrics_count(
    client: httpx.Client, keys: dict[str, str]
) -> None:
    ready = client.get("/readyz", headers=auth(keys["a1"]))
    assert ready.status_code == 200, ready.text
    assert ready.json()["model_loaded"] is True
    text = client.get("/metrics", headers=auth(OPERATOR_TOKEN)).text
    assert "drivetalk_model_loaded 1.0" in text
    assert "drivetalk_rejections_total" in text


def test_openapi_declares_routes_errors_and_bearer_auth(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert {
        "/v1/sessions",
        "/v1/sessions/{session_id}",
        "/v1/sessions/{session_id}/turns/text",
        "/v1/sessions/{session_id}/turns/audio",
        "/healthz",
        "/readyz",
        "/metrics",
    } <= set(paths)
    text_turn = paths["/v1/sessions/{session_id}/turns/text"]["post"]
    assert {"200", "401", "404", "413", "422", "429"} <= set(text_turn["responses"])
    audio_turn = paths["/v1/sessions/{session_id}/turns/audio"]["post"]
    assert "audio/wav" in audio_turn["requestBody"]["content"]
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


def test_a_tenant_whose_backend_cannot_open_gets_503_not_a_traceback(
    client: httpx.Client, live: Live
) -> None:
    settings = live.app.state.server.settings
    broken = settings.data_dir / "tenants" / "broken"
    broken.mkdir(parents=True)
    (broken / "tenant.toml").write_text('backend = "no-such-backend"\n')
    key = make_key(settings, "broken", "car-1")
    response = client.post("/v1/sessions", headers=auth(key))
    assert_error(response, 503, "backend_unavailable")
    assert "no-such-backend" not in response.text


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_every_documented_error_has_one_shape(client: httpx.Client) -> None:
    """API routes and the webhook route alike: {"error": {"code", "message"}}."""
    schema = client.get("/openapi.json").json()
    checked = set()
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                body = response.get("content", {}).get("application/json", {}).get("schema")
                if not status.startswith(("4", "5")) or body is None:
                    continue
                if path == "/readyz" and status == "503":
                    continue  # a verdict (Readiness), not an error: probes read its fields
                error = _resolve(schema, _resolve(schema, body)["properties"]["error"])
                assert {"code", "message"} <= set(error["required"]), (path, status)
                checked.add(path)
    assert "/v1/webhook/{connector}/inbound" in checked
    assert "/v1/sessions" in checked
