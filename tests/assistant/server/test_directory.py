"""Per-tenant ``[directory]`` in the server: names from a file, messages through a webhook.

Each tenant's ``tenant.toml`` chooses its delivery backend and, separately,
where its names are looked up. A real loopback receiver checks the
webhook's signature and counts what it got; a tenant left without any
directory is logged once and its drivers hear why a name cannot be found;
``/readyz`` shows a vehicle whether its tenant can look names up.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import TTSSettings, load_settings
from assistant.server.app import create_app
from tests.assistant.server.live import OPERATOR_ENV, Live, make_key, serve
from tests.faults.receiver import SECRET, Receiver, receiving
from tests.servers.net import free_port, wait_until_up

PEOPLE = "id,name,department\nemp-1042,Li Na,Sales\nemp-2077,Wang Fang,Finance\n"


def tenant(data_dir: Path, name: str, toml: str) -> None:
    folder = data_dir / "tenants" / name
    folder.mkdir(parents=True)
    (folder / "tenant.toml").write_text(toml, encoding="utf-8")
    (folder / "people.csv").write_text(PEOPLE, encoding="utf-8")


def webhook(url: str, secret_env: str) -> str:
    return (
        f'backend = "webhook"\n[connectors.webhook]\nurl = "{url}"\nsecret_env = "{secret_env}"\n'
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


@pytest.fixture
def live(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    monkeypatch.setenv("ACME_HOOK_SECRET", SECRET)
    monkeypatch.setenv("GLOBEX_HOOK_SECRET", "globex-secret-0123456789")
    # acme: names from its own file (relative to its tenant directory), sent by webhook.
    tenant(
        tmp_path,
        "acme",
        webhook(receiver.url, "ACME_HOOK_SECRET") + '[directory]\npath = "people.csv"\n',
    )
    # globex: a webhook and no directory at all.
    tenant(tmp_path, "globex", webhook(receiver.url, "GLOBEX_HOOK_SECRET"))
    # initech: a directory file that is not there.
    tenant(tmp_path, "initech", '[directory]\npath = "nobody.csv"\n')
    settings = load_settings(None, data_dir=tmp_path, model=tmp_path / "no-model")
    settings = settings.model_copy(update={"tts": TTSSettings(enabled=False)})
    with serve(create_app(settings, env=OPERATOR_ENV)) as running:
        yield running


def converse(live: Live, tenant_name: str, *lines: str) -> list[str]:
    """Open a session for a car of ``tenant_name`` and type ``lines``: the replies."""
    key = make_key(live.app.state.server.settings, tenant_name, "car-1")
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=live.url, headers=auth, timeout=60) as http:
        opened = http.post("/v1/sessions", json={"audio": False})
        assert opened.status_code == 201, opened.text
        session = opened.json()["id"]
        replies = []
        for line in lines:
            turn = http.post(f"/v1/sessions/{session}/turns/text", json={"text": line})
            assert turn.status_code == 200, turn.text
            replies.append(turn.json()["reply_text"])
        assert http.get("/readyz").json()["directory"] is (tenant_name == "acme")
        return replies


def test_a_tenants_directory_file_addresses_its_webhook_messages(
    live: Live, receiver: Receiver
) -> None:
    replies = converse(live, "acme", "send a message to Li Na saying hi", "yes")
    assert replies == ["Here's your message to Li Na: Hi. Send it?", "Sent to Li Na."]
    assert list(receiver.recipients.values()) == ["emp-1042"]
    assert list(receiver.accepted.values()) == ["Hi"]
    assert all(count == 1 for count in receiver.requests.values())


def test_a_tenant_without_a_directory_is_logged_and_its_driver_hears_why(
    live: Live, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    replies = converse(live, "globex", "send a message to Li Na saying hi")
    assert replies == ["I can't look up names: no directory is configured. Nothing was sent."]
    # Webhook tenants are opened as the server starts (their pushes must be verified).
    records = caplog.get_records("setup") + caplog.get_records("call")
    assert [r.getMessage() for r in records if "has no directory" in r.getMessage()] == [
        "tenant globex: backend 'webhook' has no directory, so names cannot be looked up:"
        " set [directory] path (a contacts file) or [directory] connector"
    ]
    assert receiver.accepted == {}


def test_a_tenants_missing_directory_file_refuses_its_sessions_and_says_why_in_the_log(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    key = make_key(live.app.state.server.settings, "initech", "car-1")
    with caplog.at_level(logging.ERROR, logger="assistant.server.tenants"):
        opened = httpx.post(
            f"{live.url}/v1/sessions", headers={"Authorization": f"Bearer {key}"}, timeout=60
        )
    assert opened.status_code == 503, opened.text
    assert opened.json()["error"]["code"] == "backend_unavailable"
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "[directory] path" in logged
    assert "nobody.csv" in logged


def test_serve_with_a_backend_without_a_directory_says_so_once_at_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIVETALK_")}
    env.update(
        DRIVETALK_DATA_DIR=str(tmp_path / "data"),
        DRIVETALK_BACKEND="caldav",
        XDG_CONFIG_HOME=str(tmp_path / "xdg"),
    )
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port), "--no-tts"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", server, 60, str(log))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    text = log.read_text()
    assert text.count("has no directory") == 1, text
    assert "backend 'caldav' has no directory, so names cannot be looked up" in text
    assert "Traceback" not in text
