"""Two replicas on one PostgreSQL database: any replica serves any turn of any session."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import ServerLimits, ServerSettings, TTSSettings
from assistant.server.app import create_app
from assistant.storage.postgres import PostgresDatabase
from connectors.webhook.signing import signed_headers
from tests.assistant.server.live import (
    OPERATOR_ENV,
    OPERATOR_TOKEN,
    Live,
    make_key,
    serve,
    server_settings,
)
from tests.assistant.server.test_webhook import pushed
from tests.servers.postgres import PostgresServer

LIMITS = ServerLimits(sessions_per_key=2, rate_per_key=50.0, burst_per_key=200)


@pytest.fixture(scope="module")
def fleet(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Live, Live, str]]:
    data_dir = tmp_path_factory.mktemp("fleet")  # the local backend's files, shared
    url = postgres.create_database()
    settings = server_settings(
        data_dir,
        tts=TTSSettings(enabled=False),
        server=ServerSettings(database_url=url, limits=LIMITS),
    )
    with (
        serve(create_app(settings, env=OPERATOR_ENV)) as one,
        serve(create_app(settings, env=OPERATOR_ENV)) as two,
    ):
        yield one, two, make_key(settings, "acme", "car-1")


def say(live: Live, key: str, session: str, text: str) -> httpx.Response:
    return httpx.post(
        f"{live.url}/v1/sessions/{session}/turns/text",
        json={"text": text},
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )


def open_session(live: Live, key: str) -> str:
    reply = httpx.post(
        f"{live.url}/v1/sessions", headers={"Authorization": f"Bearer {key}"}, timeout=60
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def test_turns_alternating_between_replicas_continue_one_dialog(
    fleet: tuple[Live, Live, str],
) -> None:
    one, two, key = fleet
    session = open_session(one, key)
    draft = say(two, key, session, "send a message to Zhang San saying fleet works")
    assert draft.json()["reply_text"].endswith("Send it?")
    confirmed = say(one, key, session, "yes").json()
    assert confirmed["understanding"]["intent"] == "confirm"
    assert confirmed["replies"] == ["Sent to Zhang San."]
    outbox = PostgresDatabase.connect(one.app.state.server.settings.server.database_url)
    rows = outbox.query("SELECT tenant, lower(body), state FROM outbox")
    outbox.close()
    assert ("acme", "fleet works", "delivered") in rows
    httpx.delete(
        f"{two.url}/v1/sessions/{session}",
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )


def test_a_session_closed_on_one_replica_is_gone_on_the_other(
    fleet: tuple[Live, Live, str],
) -> None:
    one, two, key = fleet
    session = open_session(one, key)
    assert say(two, key, session, "help").status_code == 200  # two holds it too now
    headers = {"Authorization": f"Bearer {key}"}
    assert httpx.delete(f"{one.url}/v1/sessions/{session}", headers=headers).status_code == 204
    gone = say(two, key, session, "help")
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "session_not_found")


def test_the_session_limit_per_key_counts_every_replica(fleet: tuple[Live, Live, str]) -> None:
    one, two, key = fleet
    opened = [open_session(one, key), open_session(two, key)]
    third = httpx.post(
        f"{one.url}/v1/sessions", headers={"Authorization": f"Bearer {key}"}, timeout=60
    )
    assert third.status_code == 429
    for session in opened:
        httpx.delete(f"{two.url}/v1/sessions/{session}", headers={"Authorization": f"Bearer {key}"})


def test_another_vehicle_cannot_take_a_session_up(fleet: tuple[Live, Live, str]) -> None:
    one, two, key = fleet
    session = open_session(one, key)
    other = make_key(one.app.state.server.settings, "acme", "car-2")
    assert say(two, other, session, "help").status_code == 404
    httpx.delete(f"{one.url}/v1/sessions/{session}", headers={"Authorization": f"Bearer {key}"})


def test_a_replica_that_stops_leaves_the_dialog_to_the_other(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    settings = server_settings(
        tmp_path,
        tts=TTSSettings(enabled=False),
        server=ServerSettings(database_url=postgres.create_database(), limits=LIMITS),
    )
    key = make_key(settings, "acme", "car-9")
    with serve(create_app(settings, env=OPERATOR_ENV)) as survivor:
        with serve(create_app(settings, env=OPERATOR_ENV)) as leaving:
            session = open_session(leaving, key)
            draft = say(leaving, key, session, "send a message to Zhang San saying see you")
            assert draft.json()["reply_text"].endswith("Send it?")
        # ``leaving`` is gone; the car reconnects to the survivor and says "yes".
        confirmed = say(survivor, key, session, "yes").json()
        assert confirmed["replies"] == ["Sent to Zhang San."]


def test_a_keys_rate_limit_is_one_bucket_across_replicas(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    settings = server_settings(
        tmp_path,
        tts=TTSSettings(enabled=False),
        server=ServerSettings(
            database_url=postgres.create_database(),
            limits=ServerLimits(rate_per_key=0.001, burst_per_key=4),
        ),
    )
    key = make_key(settings, "acme", "car-5")
    headers = {"Authorization": f"Bearer {key}"}
    with (
        serve(create_app(settings, env=OPERATOR_ENV)) as one,
        serve(create_app(settings, env=OPERATOR_ENV)) as two,
    ):
        answers = [
            httpx.get(f"{live.url}/v1/sessions/nope", headers=headers, timeout=60).status_code
            for live in (one, two, one, two, one, two)
        ]
    assert answers == [404, 404, 404, 404, 429, 429]


WEBHOOK_SECRET = "acme-inbound-secret-0123456789"


def test_a_push_to_one_replica_is_announced_on_the_replica_holding_the_session(
    postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_WEBHOOK_SECRET", WEBHOOK_SECRET)
    tenant_dir = tmp_path / "tenants" / "acme"
    tenant_dir.mkdir(parents=True)
    (tenant_dir / "tenant.toml").write_text(
        'backend = "webhook"\n[connectors.webhook]\nurl = "https://acme.example/drivetalk"\n'
        'secret_env = "ACME_WEBHOOK_SECRET"\ninbound_secret_env = "ACME_WEBHOOK_SECRET"\n'
    )
    settings = server_settings(
        tmp_path,
        tts=TTSSettings(enabled=False),
        server=ServerSettings(database_url=postgres.create_database(), limits=LIMITS),
    )
    key = make_key(settings, "acme", "car-1")
    with (
        serve(create_app(settings, env=OPERATOR_ENV)) as one,
        serve(create_app(settings, env=OPERATOR_ENV)) as two,
    ):
        session = open_session(two, key)  # the car is on replica two
        body = pushed("e1", "The client is waiting in the lobby")
        headers = signed_headers(WEBHOOK_SECRET, int(time.time()), body)
        inbound = "/v1/webhook/acme/inbound"
        accepted = httpx.post(f"{one.url}{inbound}", content=body, headers=headers, timeout=30)
        assert accepted.status_code == 202, accepted.text
        replayed = httpx.post(f"{two.url}{inbound}", content=body, headers=headers, timeout=30)
        assert replayed.status_code == 409  # the fleet remembers, not only the replica
        heard = wait_for_notices(two, key, session)
    assert any("Wang Fang" in notice for notice in heard)


def wait_for_notices(live: Live, key: str, session: str) -> list[str]:
    for _ in range(300):
        notices = httpx.get(
            f"{live.url}/v1/sessions/{session}/notices",
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        ).json()["notices"]
        if notices:
            return list(notices)
        time.sleep(0.1)
    raise AssertionError("the push never reached the session's replica")


def test_a_chinese_session_stays_chinese_on_another_replica(
    fleet: tuple[Live, Live, str],
) -> None:
    one, two, key = fleet
    headers = {"Authorization": f"Bearer {key}"}
    reply = httpx.post(f"{one.url}/v1/sessions", json={"locale": "zh"}, headers=headers, timeout=60)
    assert reply.status_code == 201, reply.text
    session = reply.json()["id"]
    body = say(two, key, session, "帮助").json()
    assert body["understanding"]["intent"] == "help", body  # parsed as Chinese there
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["reply_text"]), body
    httpx.delete(f"{one.url}/v1/sessions/{session}", headers=headers, timeout=60)


def test_metrics_show_the_shared_database_pool(fleet: tuple[Live, Live, str]) -> None:
    one, _, key = fleet
    session = open_session(one, key)  # tenant acme is open on this replica
    answer = httpx.get(
        f"{one.url}/metrics", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    samples = dict(
        line.rsplit(" ", 1) for line in answer.text.splitlines() if line.startswith("drivetalk_db")
    )
    assert float(samples['drivetalk_db_pool_size{pool="postgres"}']) == 10
    assert float(samples['drivetalk_db_pool_open{pool="postgres"}']) >= 1
    assert float(samples['drivetalk_db_pool_in_use{pool="postgres"}']) >= 0
    assert float(samples['drivetalk_db_pool_waiting{pool="postgres"}']) == 0
    assert not [name for name in samples if "sqlite" in name]  # nothing of SQLite to report
    backlog = [line for line in answer.text.splitlines() if line.startswith("drivetalk_outbox")]
    assert 'drivetalk_outbox_pending{tenant="acme"} 0.0' in backlog  # the shared table, per tenant
    assert 'drivetalk_outbox_oldest_pending_seconds{tenant="acme"} 0.0' in backlog
    httpx.delete(f"{one.url}/v1/sessions/{session}", headers={"Authorization": f"Bearer {key}"})
