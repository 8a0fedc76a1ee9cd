"""Two real ``drivetalk serve`` replicas on one PostgreSQL behind a real HAProxy (round robin).

The car talks to the balancer only. Turns alternate between the replicas,
and when the replica that heard the draft is killed (-9) the car's "yes"
reaches the other one, which sends the message: once.
"""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.server.keys import KeyStore
from assistant.storage.postgres import PostgresDatabase
from connectors.local.store import DB_NAME
from tests.servers.haproxy import HAProxy
from tests.servers.net import free_port, wait_until_up
from tests.servers.postgres import PASSWORD, PostgresServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

DRIVETALK = [sys.executable, "-m", "assistant.cli"]
REPO = Path(__file__).resolve().parents[2]


def environment(root: Path, database_url: str) -> dict[str, str]:
    """The replicas' environment; their config file seeds each local store with the demo."""
    config = root / "xdg" / "drivetalk" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[connectors.local]\nseed_demo = true\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIVETALK_")}
    return env | {
        "DRIVETALK_DATA_DIR": str(root / "data"),
        "XDG_CONFIG_HOME": str(root / "xdg"),
        "DRIVETALK_SERVER__DATABASE_URL": database_url,
    }


class Replica:
    """One ``drivetalk serve`` process."""

    def __init__(
        self, name: str, root: Path, database_url: str, extra: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.port = free_port()
        self.log = root / f"{name}.log"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [*DRIVETALK, "serve", "--port", str(self.port), "--no-tts"],
                cwd=REPO, env=environment(root, database_url) | (extra or {}), stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_until_up(f"http://127.0.0.1:{self.port}/healthz", self.process, 120, str(self.log))

    def kill(self) -> None:
        """kill -9, as a machine failure would."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=60)

    def stop(self) -> None:
        """Stop it if it still runs."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


#: The balancer, the replicas by name, a vehicle's key, the database URL.
Fleet = tuple[HAProxy, dict[str, Replica], str, str]


@pytest.fixture
def fleet(
    postgres: PostgresServer, tmp_path: Path
) -> Iterator[tuple[HAProxy, dict[str, Replica], str, str]]:
    url = postgres.create_database()
    db = PostgresDatabase.connect(url)
    key = KeyStore(db).create("acme", "car-1").secret
    db.close()
    replicas = {name: Replica(name, tmp_path, url) for name in ("r1", "r2")}
    balancer = HAProxy({name: r.port for name, r in replicas.items()})
    try:
        balancer.start()
        yield balancer, replicas, key, url
    finally:
        balancer.stop()
        for replica in replicas.values():
            replica.stop()


def test_turns_alternate_and_a_killed_replicas_draft_is_confirmed_on_the_other(
    fleet: Fleet, tmp_path: Path
) -> None:
    balancer, replicas, key, url = fleet
    headers = {"Authorization": f"Bearer {key}"}
    served: list[str] = []

    def call(method: str, path: str, **kwargs: object) -> httpx.Response:
        # A new connection per request: the balancer picks a replica every time.
        reply = httpx.request(method, f"{balancer.url}{path}", headers=headers, timeout=60,
                              **kwargs)  # type: ignore[arg-type]  # fmt: skip
        served.append(reply.headers.get("x-served-by", "?"))
        return reply

    session = call("POST", "/v1/sessions").json()["id"]
    assert call("POST", f"/v1/sessions/{session}/turns/text", json={"text": "help"}).is_success
    draft = call(
        "POST",
        f"/v1/sessions/{session}/turns/text",
        json={"text": "send a message to Zhang San saying the fleet survives"},
    )
    assert draft.json()["reply_text"].endswith("Send it?"), draft.text
    assert set(served) == {"r1", "r2"}
    assert all(a != b for a, b in itertools.pairwise(served))  # round robin
    replicas[served[-1]].kill()  # the replica that heard the draft dies
    survivor = "r1" if served[-1] == "r2" else "r2"
    confirmed = call("POST", f"/v1/sessions/{session}/turns/text", json={"text": "yes"})
    assert confirmed.status_code == 200, confirmed.text
    assert served[-1] == survivor
    assert confirmed.json()["replies"] == ["Sent to Zhang San."]
    db = PostgresDatabase.connect(url)
    rows = db.query("SELECT lower(body), state FROM outbox")
    db.close()
    assert rows == [("the fleet survives", "delivered")]
    with sqlite3.connect(tmp_path / "data" / "tenants" / "acme" / DB_NAME) as store:
        bodies = [r[0].lower() for r in store.execute("SELECT body FROM messages")]
    assert bodies.count("the fleet survives") == 1


def test_an_unreachable_database_is_one_clear_line_without_the_password(tmp_path: Path) -> None:
    port = free_port()
    env = environment(tmp_path, f"postgresql://fleet:pw-never-shown@127.0.0.1:{port}/dt")
    result = subprocess.run(
        [*DRIVETALK, "serve", "--port", str(free_port()), "--no-tts"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        f"drivetalk: error: cannot use the PostgreSQL database at 127.0.0.1:{port}/dt"
    )
    assert "pw-never-shown" not in result.stderr + result.stdout


def test_a_schema_from_a_newer_drivetalk_is_one_clear_line_and_left_alone(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.create_database()
    db = PostgresDatabase.connect(url)
    KeyStore(db)  # today's schema, then a newer DriveTalk's number on it
    db.execute("UPDATE schema_version SET version = 99 WHERE component = 'keys'")
    result = subprocess.run(
        [*DRIVETALK, "serve", "--port", str(free_port()), "--no-tts"],
        cwd=REPO, env=environment(tmp_path, url), capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("drivetalk: error: the keys schema in 127.0.0.1:"), lines[0]
    assert "newer DriveTalk" in lines[0]
    assert PASSWORD not in result.stderr + result.stdout
    assert db.query("SELECT version FROM schema_version WHERE component = 'keys'") == [(99,)]
    db.close()
