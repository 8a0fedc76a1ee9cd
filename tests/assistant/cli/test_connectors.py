"""`drivetalk connectors list|check`: what is installed, and a live verdict with exit 0/1."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from assistant.cli import main
from tests.servers.fixtures import RADICALE_USERS
from tests.servers.net import free_port
from tests.servers.radicale import RadicaleServer
from tests.servers.synapse import SynapseServer


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write_config(tmp_path: Path, body: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n{body}', encoding="utf-8")
    return str(path)


def test_list_shows_every_builtin_backend(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "connectors", "list")
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:]}
    assert code == 0
    assert rows["local"] == ["no", "messaging,calendar,directory", "loaded"]
    assert rows["matrix"] == ["yes", "messaging,directory", "loaded"]
    assert rows["caldav"] == ["yes", "calendar", "loaded"]
    assert rows["webhook"] == ["yes", "messaging", "loaded"]


def test_check_local_needs_only_the_demo_flag(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, "[connectors.local]\nseed_demo = true\n")
    code, out, _ = run(capsys, "--config", config, "connectors", "check", "local")
    assert code == 0
    assert out.startswith("local: OK - ")


def test_check_local_of_an_empty_store_says_how_to_seed_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, "")
    code, out, _ = run(capsys, "--config", config, "connectors", "check", "local")
    assert code == 1
    assert out.startswith("local: FAILED - the local store ")
    assert "is empty: seed the demo organisation with `drivetalk demo-data`" in out


def test_check_unknown_backend_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "connectors", "check", "carrier-pigeon")
    assert code == 2
    assert "unknown backend 'carrier-pigeon'" in err
    assert "matrix" in err


@pytest.mark.parametrize(
    ("table", "reason"),
    [
        ("", "homeserver: Field required"),
        ('homeserver = "ftp://x"\nuser_id = "@a:x"\naccess_token_env = "T"', "https://"),
        ('homeserver = "http://x"\nuser_id = "@a:x"\naccess_token_env = "UNSET_VAR_42"',
         "UNSET_VAR_42 is not set"),
        ('homeserver = "http://x"\nuser_id = "@a:x"\naccess_token = "inline"', "Extra inputs"),
    ],
)  # fmt: skip
def test_bad_matrix_config_fails_with_the_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, table: str, reason: str
) -> None:
    config = write_config(tmp_path, f"[connectors.matrix]\n{table}\n")
    code, out, _ = run(capsys, "--config", config, "connectors", "check", "matrix")
    assert code == 1
    assert out.startswith("matrix: FAILED - ")
    assert reason in out
    assert "inline" not in out  # a secret put in the file is not echoed back


@pytest.mark.synapse
def test_check_matrix_live(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    synapse: SynapseServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = synapse.register("driver")
    table = f'homeserver = "{synapse.url}"\nuser_id = "{user.user_id}"\n'
    config = write_config(tmp_path, f'[connectors.matrix]\n{table}access_token_env = "MX"\n')
    monkeypatch.setenv("MX", user.access_token)
    caplog.set_level(logging.DEBUG)
    code, out, err = run(capsys, "-v", "--config", config, "connectors", "check", "matrix")
    assert (code, out.strip()) == (
        0,
        f"matrix: OK - authenticated as {user.user_id} on {synapse.url}",
    )

    monkeypatch.setenv("MX", "syt_wrong_" + user.access_token[-12:])
    code, out, err = run(capsys, "-v", "--config", config, "connectors", "check", "matrix")
    assert code == 1
    assert "FAILED" in out
    assert "401" in out
    everything = out + err + caplog.text
    assert user.access_token not in everything
    assert "syt_wrong_" not in everything


@pytest.mark.radicale
def test_check_caldav_live(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    radicale: RadicaleServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = radicale.make_calendar("driver")
    table = f'url = "{url}"\nusername = "driver"\npassword_env = "CALDAV_PW"\n'
    config = write_config(tmp_path, f"[connectors.caldav]\n{table}")
    monkeypatch.setenv("CALDAV_PW", RADICALE_USERS["driver"])
    code, out, _ = run(capsys, "--config", config, "connectors", "check", "caldav")
    assert (code, out.strip()) == (0, f"caldav: OK - calendar {url} as driver")
    monkeypatch.setenv("CALDAV_PW", "nope")
    code, out, _ = run(capsys, "--config", config, "connectors", "check", "caldav")
    assert code == 1
    assert "401" in out


def test_check_unreachable_server_fails_within_the_timeout(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = f'homeserver = "http://127.0.0.1:{free_port()}"\nuser_id = "@a:x"\n'
    config = write_config(tmp_path, f'[connectors.matrix]\n{table}access_token_env = "MX"\n')
    monkeypatch.setenv("MX", "token")
    code, out, _ = run(
        capsys, "--config", config, "connectors", "check", "matrix", "--timeout", "20"
    )
    assert code == 1
    assert "cannot reach the Matrix homeserver" in out


def test_conform_local_runs_every_port_and_exits_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, "[connectors.local]\nseed_demo = true\n")
    code, out, _ = run(capsys, "--config", config, "connectors", "conform", "local", "--write")
    assert code == 0, out
    assert out.splitlines()[-1] == "local: CONFORMS (ports: messaging, calendar, directory)"
    assert "FAILED" not in out


def test_conform_reports_a_backend_that_cannot_be_built(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, '[connectors.matrix]\nhomeserver = "https://m.example"\n')
    code, out, _ = run(capsys, "--config", config, "connectors", "conform", "matrix")
    assert code == 1
    assert out.startswith("matrix: FAILED - [connectors.matrix] user_id")
