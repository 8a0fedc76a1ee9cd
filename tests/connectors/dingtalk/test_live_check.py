"""``drivetalk connectors check dingtalk --live`` against the emulator on loopback.

The same command an enterprise runs with its own credentials against the real
platform (docs/dingtalk.md, "Tried against the real platform"); here it walks
the emulator, which answers as the documentation says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cli import main
from tests.connectors.dingtalk.conftest import ENV
from tests.connectors.dingtalk.emulator import DingTalkEmulator

STEPS = ("access token", "custom robot", "send to self", "calendar round trip", "stream connect")


def write_config(tmp_path: Path, emulator: DingTalkEmulator, extra: str = "") -> str:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""data_dir = "{tmp_path / "data"}"

[connectors.dingtalk]
api_base = "{emulator.base_url}"
oapi_base = "{emulator.base_url}"
app_key = "{emulator.app_key}"
app_secret_env = "DINGTALK_APP_SECRET"
{extra}

[connectors.dingtalk.robot]
webhook_env = "DINGTALK_ROBOT_WEBHOOK"
secret_env = "DINGTALK_ROBOT_SECRET"
conversation_id = "fleet-alerts"
""",
        encoding="utf-8",
    )
    return str(path)


@pytest.fixture
def secrets(emulator: DingTalkEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    webhook = f"{emulator.base_url}/robot/send?access_token={emulator.robot_token}"
    monkeypatch.setenv("DINGTALK_ROBOT_WEBHOOK", webhook)


def live(capsys: pytest.CaptureFixture[str], config: str) -> tuple[int, dict[str, str], str]:
    code = main(["--config", config, "connectors", "check", "dingtalk", "--live"])
    out, _ = capsys.readouterr()
    steps = {}
    for line in out.splitlines()[:-1]:
        status, rest = line.removeprefix("dingtalk: ").split(maxsplit=1)
        steps[rest.split(" - ")[0].strip()] = status
    return code, steps, out


@pytest.mark.usefixtures("secrets")
def test_every_step_passes_and_leaves_nothing_behind(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, emulator: DingTalkEmulator
) -> None:
    extra = 'user_id = "u-zhangsan"\nunion_id = "un-zhangsan"'
    code, steps, out = live(capsys, write_config(tmp_path, emulator, extra))
    assert code == 0, out
    assert steps == dict.fromkeys(STEPS, "OK")
    assert out.splitlines()[-1] == "dingtalk: OK - live check, 0 step(s) failed"
    [to_self] = emulator.oto_messages
    assert to_self["userIds"] == ["u-zhangsan"]
    assert emulator.calendar.created == 1
    assert emulator.calendar.events["un-zhangsan"] == {}  # the test event was deleted
    assert emulator.robot_messages == []  # the robot was probed, nothing posted
    assert emulator.stream_opens == 1


@pytest.mark.usefixtures("secrets")
def test_steps_without_their_settings_are_skipped_not_failed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, emulator: DingTalkEmulator
) -> None:
    code, steps, out = live(capsys, write_config(tmp_path, emulator))
    assert code == 0, out
    assert steps["send to self"] == steps["calendar round trip"] == "SKIPPED"
    assert "user_id" in out
    assert "union_id" in out
    assert emulator.oto_messages == []


@pytest.mark.usefixtures("secrets")
def test_a_wrong_secret_fails_the_walk_without_echoing_it(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    emulator: DingTalkEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DINGTALK_APP_SECRET", "not-the-secret-9d2e")
    extra = 'user_id = "u-zhangsan"\nunion_id = "un-zhangsan"'
    code, steps, out = live(capsys, write_config(tmp_path, emulator, extra))
    assert code == 1
    assert steps["access token"] == steps["stream connect"] == "FAILED"
    assert steps["custom robot"] == "OK"  # the robot has its own credentials
    assert "invalidClientIdOrSecret" in out
    assert "not-the-secret-9d2e" not in out


def test_a_backend_without_a_live_walk_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    code = main(["--config", str(config), "connectors", "check", "local", "--live"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "backend 'local' has no --live check" in err


@pytest.mark.usefixtures("secrets")
def test_a_step_without_an_answer_fails_on_its_own_and_the_walk_goes_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, emulator: DingTalkEmulator
) -> None:
    emulator.lose_next_answer["oto"] = 3.0
    extra = 'user_id = "u-zhangsan"\nunion_id = "un-zhangsan"'
    config = write_config(tmp_path, emulator, extra)
    code = main(["--config", config, "connectors", "check", "dingtalk", "--live", "--timeout", "1"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "FAILED  send to self - no answer within 1 s" in out
    assert "OK      calendar round trip" in out
    assert "OK      stream connect" in out
