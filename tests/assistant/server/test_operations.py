"""What an operator sees: metrics that say what is wrong, and a log with ids on every line.

Specification: ``/metrics`` counts requests by route template, method and
status (never by raw path), and reports each open tenant's outbox backlog
and the age of its oldest message, delivery failures by connector and
reason, the decoder pool, admission, the SQLite stores, process figures and
the build. The JSON log has one object per line, each request's lines carry
its ``request_id`` (echoed as ``X-Request-ID``) and, where a session is
involved, its ``session_id``; no key or token ever appears in it.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant import __version__
from assistant.config import LoggingSettings, TTSSettings
from assistant.delivery import open_outbox
from assistant.models import OutgoingMessage
from assistant.server import logs
from assistant.server.app import create_app
from connectors.outbox import OUTBOX_FILE
from tests.assistant.server.live import (
    OPERATOR_ENV,
    OPERATOR_TOKEN,
    Live,
    make_key,
    serve,
    server_settings,
)
from tests.servers.net import free_port

OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
SECRET = "acme-inbound-secret-0123456789"


def metrics(live: Live) -> dict[str, float]:
    """Every sample of ``/metrics``: ``name{labels}`` -> value."""
    answer = httpx.get(f"{live.url}/metrics", headers=OPERATOR, timeout=30)
    assert answer.status_code == 200, answer.text
    samples = {}
    for line in answer.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def eventually(live: Live, sample: str, timeout: float = 60) -> float:
    deadline = time.monotonic() + timeout
    while sample not in (seen := metrics(live)):
        assert time.monotonic() < deadline, f"{sample} never appeared"
        time.sleep(0.1)
    return seen[sample]


@pytest.fixture
def unreachable_tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tenant acme on the webhook backend, pointed at a port nobody listens on, one message owed."""
    monkeypatch.setenv("ACME_WEBHOOK_SECRET", SECRET)
    tenant = tmp_path / "tenants" / "acme"
    tenant.mkdir(parents=True)
    (tenant / "tenant.toml").write_text(
        f'backend = "webhook"\n[connectors.webhook]\n'
        f'url = "http://127.0.0.1:{free_port()}/drivetalk"\nsecret_env = "ACME_WEBHOOK_SECRET"\n'
    )
    settings = server_settings(tmp_path)
    outbox = open_outbox(tenant / OUTBOX_FILE, settings.outbox)
    with outbox:
        outbox.enqueue(OutgoingMessage("k-1", "u-wang", "Wang Fang", "Running late", False, False))
    return tmp_path


@pytest.mark.vosk
def test_metrics_tell_an_operator_what_is_wrong(unreachable_tenant: Path) -> None:
    settings = server_settings(unreachable_tenant, tts=TTSSettings(enabled=False))
    key = make_key(settings, "globex", "car-1")
    with serve(create_app(settings, env=OPERATOR_ENV)) as live:
        auth = {"Authorization": f"Bearer {key}"}
        session = httpx.post(f"{live.url}/v1/sessions", headers=auth, timeout=60).json()["id"]
        for _ in range(3):
            httpx.get(f"{live.url}/v1/sessions/{session}", headers=auth, timeout=30)
        for n in range(5):  # five different unknown paths: one series, not five
            httpx.get(f"{live.url}/no/such/{n}", timeout=30)
        httpx.get(f"{live.url}/v1/sessions/nope", headers=auth, timeout=30)

        labels = 'connector="webhook",final="false",reason="unavailable"'
        failures = f"drivetalk_delivery_failures_total{{{labels}}}"
        assert eventually(live, failures) >= 1
        seen = metrics(live)

    def requests(route: str, method: str, status: int) -> float:
        labels = f'method="{method}",route="{route}",status="{status}"'
        return seen.get(f"drivetalk_http_requests_total{{{labels}}}", 0)

    assert requests("/v1/sessions", "POST", 201) == 1
    assert requests("/v1/sessions/{session_id}", "GET", 200) == 3
    assert requests("/v1/sessions/{session_id}", "GET", 404) == 1
    assert requests("<unmatched>", "GET", 404) == 5
    assert not [name for name in seen if "/no/such" in name]
    assert seen['drivetalk_outbox_pending{tenant="acme"}'] == 1
    assert seen['drivetalk_outbox_oldest_pending_seconds{tenant="acme"}'] > 0
    assert seen['drivetalk_outbox_pending{tenant="globex"}'] == 0
    assert seen["drivetalk_admission_capacity"] >= 1
    assert "drivetalk_decoder_pool_waiting" in seen
    assert seen['drivetalk_db_pool_open{pool="sqlite_outbox"}'] == 2  # acme and globex
    assert seen["process_resident_memory_bytes"] > 0
    assert any(n.startswith('drivetalk_build_info{python="') and __version__ in n for n in seen)


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    level = logging.getLogger().level
    handler = logs.configure(LoggingSettings(format="json", level="info"), stream)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(level)


def test_the_json_log_has_ids_on_every_request_line_and_no_secrets(
    tmp_path: Path, captured: io.StringIO
) -> None:
    settings = server_settings(tmp_path, tts=TTSSettings(enabled=False))
    key = make_key(settings, "acme", "car-1")
    auth = {"Authorization": f"Bearer {key}"}
    with serve(create_app(settings, env=OPERATOR_ENV)) as live:
        created = httpx.post(
            f"{live.url}/v1/sessions", headers={**auth, "X-Request-ID": "car-1-req-7"}, timeout=60
        )
        session = created.json()["id"]
        turn = httpx.post(
            f"{live.url}/v1/sessions/{session}/turns/text",
            headers=auth,
            json={"text": f"send a message to Li Na saying my key is {key}"},
            timeout=60,
        )
        httpx.get(f"{live.url}/metrics", headers=OPERATOR, timeout=30)
        httpx.get(f"{live.url}/metrics", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert created.headers["X-Request-ID"] == "car-1-req-7"
    assert len(turn.headers["X-Request-ID"]) == 32  # made up by the server

    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "drivetalk.access"]
    assert {"route": "/v1/sessions", "status": 201, "request_id": "car-1-req-7"}.items() <= {
        **access[0]
    }.items()
    assert access[0]["session_id"] == session
    assert access[1]["route"] == "/v1/sessions/{session_id}/turns/text"
    assert access[1]["session_id"] == session
    assert access[1]["request_id"] == turn.headers["X-Request-ID"]
    assert all("request_id" in line for line in access)
    text = captured.getvalue()
    assert key.split("_", 2)[2] not in text
    assert OPERATOR_TOKEN not in text


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("key dtk_abc123_s3cr3t-value failed", "key dtk_[redacted] failed"),
        ("Authorization: Bearer tok.en-123", "Authorization: Bearer [redacted]"),
        (
            "db postgresql://app:pa55word@db.internal/x down",
            "db postgresql://app:[redacted]@db.internal/x down",
        ),
    ],
)
def test_secrets_are_scrubbed_from_every_message(message: str, shown: str) -> None:
    assert logs.scrub(message) == shown


def test_the_text_log_shows_the_ids_for_people() -> None:
    stream = io.StringIO()
    level = logging.getLogger().level
    handler = logs.configure(LoggingSettings(format="text"), stream)
    try:
        with logs.bound(request_id="r-1", session_id="s-2"):
            logging.getLogger("drivetalk.test").warning("hello %s", "there")
        logging.getLogger("drivetalk.test").warning("outside")
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(level)
    first, second = stream.getvalue().splitlines()
    assert first.endswith("drivetalk.test [request_id=r-1 session_id=s-2] hello there")
    assert second.endswith("drivetalk.test outside")
