"""A session's language on a real uvicorn: chosen per session, per tenant, or by the server.

Specification: ``POST /v1/sessions`` takes ``locale`` (``en`` or ``zh``,
documented in the OpenAPI schema); without it a session speaks its tenant's
``locale`` from ``tenant.toml``, else the server's. The session reports its
locale; the WebSocket ``start`` message may switch it, and an unknown one is
a clear error in every place. A Chinese session understands and answers in
Mandarin; text in another script gets "抱歉，我只听得懂中文和英文。".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from assistant.config import TTSSettings
from assistant.server.app import create_app
from tests.assistant.server.live import Live, make_key, serve, server_settings

FORMAT = {"rate": 16000, "channels": 1, "sample": "s16le"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data_dir = tmp_path_factory.mktemp("locale")
    chinese_tenant = data_dir / "tenants" / "huanan"
    chinese_tenant.mkdir(parents=True)
    (chinese_tenant / "tenant.toml").write_text('locale = "zh"\n', encoding="utf-8")
    broken_tenant = data_dir / "tenants" / "broken"
    broken_tenant.mkdir(parents=True)
    (broken_tenant / "tenant.toml").write_text('locale = "ko"\n', encoding="utf-8")
    settings = server_settings(data_dir, tts=TTSSettings(enabled=False))
    with serve(create_app(settings)) as running:
        yield running


@pytest.fixture(scope="module")
def keys(live: Live) -> dict[str, str]:
    settings = live.app.state.server.settings
    return {
        "acme": make_key(settings, "acme", "car-1"),
        "huanan": make_key(settings, "huanan", "car-8"),
        "broken": make_key(settings, "broken", "car-9"),
    }


@pytest.fixture
def client(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=60) as http:
        yield http


def create(client: httpx.Client, key: str, **body: Any) -> httpx.Response:
    return client.post("/v1/sessions", headers=auth(key), json={"audio": False, **body})


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def say(client: httpx.Client, key: str, session: str, text: str) -> dict[str, Any]:
    response = client.post(
        f"/v1/sessions/{session}/turns/text", headers=auth(key), json={"text": text}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_session_asks_for_mandarin_and_is_answered_in_it(
    client: httpx.Client, keys: dict[str, str]
) -> None:
    created = create(client, keys["acme"], locale="zh")
    assert created.status_code == 201, created.text
    session = created.json()
    assert session["locale"] == "zh"
    turn = say(client, keys["acme"], session["id"], "给李娜发消息说我十分钟后到")
    assert turn["understanding"]["intent"] == "send_message"
    assert turn["reply_text"] == "发给李娜：我十分钟后到。发送吗？"
    turn = say(client, keys["acme"], session["id"], "안녕하세요")
    assert turn["reply_text"] == "抱歉，我只听得懂中文和英文。"
    described = client.get(f"/v1/sessions/{session['id']}", headers=auth(keys["acme"]))
    assert described.json()["locale"] == "zh"
    client.delete(f"/v1/sessions/{session['id']}", headers=auth(keys["acme"]))


def test_without_a_locale_the_server_default_applies(
    client: httpx.Client, keys: dict[str, str]
) -> None:
    session = create(client, keys["acme"]).json()
    assert session["locale"] == "en"
    turn = say(client, keys["acme"], session["id"], "send a message to Li Na saying hi")
    assert turn["reply_text"] == "Here's your message to Li Na: Hi. Send it?"
    client.delete(f"/v1/sessions/{session['id']}", headers=auth(keys["acme"]))


def test_a_tenant_speaks_its_tenant_toml_locale_unless_a_session_asks(
    client: httpx.Client, keys: dict[str, str]
) -> None:
    chinese = create(client, keys["huanan"]).json()
    assert chinese["locale"] == "zh"
    assert say(client, keys["huanan"], chinese["id"], "帮助")["reply_text"].startswith("你可以说")
    english = create(client, keys["huanan"], locale="en").json()
    assert english["locale"] == "en"
    assert say(client, keys["huanan"], english["id"], "help")["reply_text"].startswith("You can")
    for session in (chinese, english):
        client.delete(f"/v1/sessions/{session['id']}", headers=auth(keys["huanan"]))


def test_an_unknown_locale_is_refused_clearly(client: httpx.Client, keys: dict[str, str]) -> None:
    response = create(client, keys["acme"], locale="ko")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert "locale" in error["message"]
    assert "'en' or 'zh'" in error["message"]


def test_a_tenant_toml_with_an_unknown_locale_is_the_operators_problem(
    client: httpx.Client, keys: dict[str, str]
) -> None:
    response = create(client, keys["broken"])
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "backend_unavailable"


def test_the_openapi_schema_documents_the_locale(client: httpx.Client) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    requested = schemas["SessionCreate"]["properties"]["locale"]
    assert {"enum": ["en", "zh"], "type": "string"} in requested["anyOf"]
    assert "zh" in requested["description"]
    assert "locale" in schemas["SessionInfo"]["required"]


@pytest.mark.vosk
@pytest.mark.slow
def test_the_stream_start_message_switches_the_language(
    live: Live, client: httpx.Client, keys: dict[str, str]
) -> None:
    session = create(client, keys["acme"]).json()
    assert session["locale"] == "en"
    url = f"{live.ws_url}{session['stream_url']}"
    with connect(url, additional_headers=auth(keys["acme"]), open_timeout=30) as ws:
        ws.send(json.dumps({"type": "start", "format": FORMAT, "locale": "zh"}))
        ready = json.loads(ws.recv(timeout=60))
        assert (ready["type"], ready["locale"]) == ("ready", "zh")
        ws.send(json.dumps({"type": "text", "text": "明天有什么安排"}))
        replies = [e for e in _events(ws, until="reply") if e["type"] == "reply"]
        assert replies[0]["text"].startswith("明天你有")
    described = client.get(f"/v1/sessions/{session['id']}", headers=auth(keys["acme"]))
    assert described.json()["locale"] == "zh"
    client.delete(f"/v1/sessions/{session['id']}", headers=auth(keys["acme"]))


@pytest.mark.vosk
@pytest.mark.slow
def test_an_unknown_locale_in_the_start_message_is_a_protocol_error(
    live: Live, client: httpx.Client, keys: dict[str, str]
) -> None:
    session = create(client, keys["acme"]).json()
    url = f"{live.ws_url}{session['stream_url']}"
    with connect(url, additional_headers=auth(keys["acme"]), open_timeout=30) as ws:
        ws.send(json.dumps({"type": "start", "format": FORMAT, "locale": "klingon"}))
        error = json.loads(ws.recv(timeout=60))
    assert error["type"] == "error"
    assert error["code"] == "bad_locale"
    assert error["message"] == (
        "unknown locale 'klingon': DriveTalk speaks en (English) and zh (Mandarin)"
    )
    client.delete(f"/v1/sessions/{session['id']}", headers=auth(keys["acme"]))


def _events(ws: Any, until: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["type"] != until:
        frame = ws.recv(timeout=60)
        if isinstance(frame, str):
            seen.append(json.loads(frame))
    return seen
