"""Without a usable speech model the server still serves text, and says why speech fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from assistant.config import TTSSettings, load_settings
from assistant.server.app import create_app
from tests.assistant.server.live import OPERATOR_ENV, OPERATOR_TOKEN, Live, make_key, serve


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data_dir = tmp_path_factory.mktemp("nomodel")
    settings = load_settings(None, data_dir=data_dir, model=data_dir / "no-such-model")
    settings = settings.model_copy(update={"tts": TTSSettings(enabled=False)})
    with serve(create_app(settings, env=OPERATOR_ENV)) as running:
        yield running


@pytest.fixture(scope="module")
def auth(live: Live) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(live.app.state.server.settings, 'acme', 'c1')}"}


def test_readyz_is_503_and_names_the_problem_to_the_operator(
    live: Live, auth: dict[str, str]
) -> None:
    response = httpx.get(f"{live.url}/readyz", headers=auth, timeout=60)
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert body["model_loaded"] is False
    assert body["model_error"] is None  # a detail for the operator only
    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    detailed = httpx.get(f"{live.url}/readyz", headers=operator, timeout=60)
    assert detailed.status_code == 503
    assert "no speech model" in detailed.json()["model_error"]


def test_text_turns_work_and_speech_is_a_clear_503(
    live: Live, auth: dict[str, str], tmp_path: Path
) -> None:
    http = httpx.Client(base_url=live.url, headers=auth, timeout=60)
    with http:
        session = http.post("/v1/sessions").json()["id"]
        text = http.post(f"/v1/sessions/{session}/turns/text", json={"text": "help"})
        assert text.status_code == 200
        assert text.json()["reply_text"]
        audio = http.post(
            f"/v1/sessions/{session}/turns/audio",
            content=b"RIFF....WAVE",
            headers={"Content-Type": "audio/wav"},
        )
        assert audio.status_code == 503
        assert audio.json()["error"]["code"] == "speech_unavailable"
    with connect(f"{live.ws_url}/v1/sessions/{session}/stream", additional_headers=auth) as ws:
        ws.send(json.dumps({"type": "start", "format": {"rate": 16000}}))
        event = json.loads(ws.recv(timeout=60))
        assert (event["type"], event["code"]) == ("error", "speech_unavailable")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=30)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4503
