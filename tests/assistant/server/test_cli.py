"""``drivetalk keys`` and ``drivetalk serve`` as a user runs them (real processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from assistant.storage.postgres import PostgresDatabase
from tests.servers.net import free_port, wait_until_up
from tests.servers.postgres import PostgresServer

DRIVETALK = [sys.executable, "-m", "assistant.cli"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DRIVETALK, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DRIVETALK_")}
    return {
        **clean,
        "DRIVETALK_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
    }


def test_keys_create_list_revoke(env: dict[str, str]) -> None:
    created = run(env, "keys", "create", "--tenant", "acme", "--vehicle", "car-9")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("dtk_")
    _, key_id, secret_part = secret.split("_", 2)  # the secret itself may contain "_"
    assert "cannot be shown again" in created.stderr
    listed = run(env, "keys", "list")
    assert f"{key_id}  acme/car-9  active" in listed.stdout
    assert secret_part not in listed.stdout  # the secret is never shown again
    assert run(env, "keys", "revoke", key_id).returncode == 0
    assert "revoked" in run(env, "keys", "list", "--tenant", "acme").stdout


def test_keys_go_to_the_fleet_database_when_one_is_configured(
    env: dict[str, str], postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.create_database()
    fleet = {**env, "DRIVETALK_SERVER__DATABASE_URL": url}
    created = run(fleet, "keys", "create", "--tenant", "acme", "--vehicle", "car-9")
    assert created.returncode == 0, created.stderr
    key_id = created.stdout.strip().split("_", 2)[1]
    assert f"{key_id}  acme/car-9  active" in run(fleet, "keys", "list").stdout
    assert not (tmp_path / "data" / "server" / "keys.sqlite3").exists()
    db = PostgresDatabase.connect(url)
    assert db.query("SELECT key_id FROM api_keys") == [(key_id,)]
    db.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("keys", "create", "--tenant", "Acme!", "--vehicle", "car"), "bad tenant name"),
        (("keys", "revoke", "000000000000"), "no API key with id"),
    ],
)
def test_keys_bad_input_is_one_clear_line(
    env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    done = run(env, *args)
    assert done.returncode == 2
    assert done.stderr.startswith("drivetalk: error: ")
    assert message in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_serve_answers_with_a_key_and_stops_cleanly_on_sigterm(
    env: dict[str, str], tmp_path: Path
) -> None:
    secret = run(env, "keys", "create", "--tenant", "acme", "--vehicle", "car-1").stdout.strip()
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*DRIVETALK, "serve", "--port", str(port), "--no-tts"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", server, 60, str(log))
        headers = {"Authorization": f"Bearer {secret}"}
        created = httpx.post(f"http://127.0.0.1:{port}/v1/sessions", headers=headers, timeout=60)
        assert created.status_code == 201
        assert httpx.post(f"http://127.0.0.1:{port}/v1/sessions", timeout=60).status_code == 401
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit says why.
    assert code in (0, -signal.SIGTERM), log.read_text()
    assert "Traceback" not in log.read_text()


def test_serve_without_the_configured_vads_runtime_is_one_line_naming_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    # A package that fails to import stands in for onnxruntime not being installed.
    blocked = tmp_path / "blocked" / "onnxruntime"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text('raise ImportError("no onnxruntime here")\n')
    env = {**env, "PYTHONPATH": str(blocked.parent), "DRIVETALK_ASR__VAD": "silero"}
    done = run(env, "serve", "--port", str(free_port()))
    assert done.returncode == 2
    assert done.stderr == (
        'drivetalk: error: [asr] vad = "silero" needs onnxruntime: '
        'install it (pip install onnxruntime) or set vad = "webrtc" in [asr]\n'
    )
