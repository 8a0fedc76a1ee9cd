"""A third-party package adds a backend without touching this repository.

The worked example under ``examples/drivetalk-echo-connector`` is really
built and installed (``pip install --target``, no network, no build isolation)
into a temporary directory; putting that directory on the path is all it
takes for the registry and the CLI to find it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.errors import ConfigError, RejectedError
from assistant.models import OutgoingMessage
from connectors import registry
from connectors.ports import MessagingPort

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "drivetalk-echo-connector"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example, pip-installed into a fresh target directory."""
    source = tmp_path_factory.mktemp("src") / "example"
    shutil.copytree(EXAMPLE, source)  # the build writes into the source tree; keep ours clean
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--target", str(target), str(source)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    assert list(target.glob("drivetalk_echo_connector-*.dist-info"))
    return target


def drivetalk(installed: Path, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(installed), "DRIVETALK_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--config", str(tmp_path / "config.toml"), *args],
        check=False, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip


def test_not_installed_means_not_found() -> None:
    assert "echo" not in registry.available()


def test_the_cli_lists_and_checks_the_installed_plugin(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[connectors.echo]\nreply_prefix = "heard: "\n')
    listing = drivetalk(installed, "connectors", "list", tmp_path=tmp_path)
    assert listing.returncode == 0, listing.stderr
    [row] = [line.split() for line in listing.stdout.splitlines() if line.startswith("echo ")]
    assert row == ["echo", "no", "messaging", "loaded"]
    check = drivetalk(installed, "connectors", "check", "echo", tmp_path=tmp_path)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == 'echo: OK - echo backend ready (replies as "heard: ...")'


def test_the_plugin_passes_the_conformance_kit(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[connectors.echo]\n")
    result = drivetalk(
        installed, "connectors", "conform", "echo", "--write", "--recipient", "u-li-na",
        tmp_path=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "echo: CONFORMS (ports: messaging)"
    assert "PASSED  messaging: send() is idempotent" in result.stdout


async def test_the_plugin_is_built_from_config_and_works(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(installed))
    context = registry.ConnectorContext(
        tmp_path, ZoneInfo("UTC"), now=lambda: datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    )
    echo = registry.build("echo", {"reply_prefix": "heard: "}, context)
    assert isinstance(echo, MessagingPort)
    message = OutgoingMessage(uuid.uuid4().hex, "u-li-na", "Li Na", "on my way")
    receipt = await echo.send(message)
    assert await echo.send(message) == receipt  # idempotent, like every backend must be
    replies = echo.incoming()
    reply = await anext(replies)
    assert (reply.sender_name, reply.body) == ("Li Na", "heard: on my way")
    with pytest.raises(RejectedError):
        await echo.send(OutgoingMessage(uuid.uuid4().hex, "u-li-na", "Li Na", "   "))
    with pytest.raises(ConfigError, match="unknown key"):
        registry.build("echo", {"colour": "blue"}, context)
    await echo.aclose()


def test_a_plugin_that_fails_to_import_is_reported(installed: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(installed, broken)
    (broken / "drivetalk_echo" / "__init__.py").write_text("import no_such_module_anywhere\n")
    result = drivetalk(broken, "connectors", "list", tmp_path=tmp_path)
    assert result.returncode == 1
    [row] = [line for line in result.stdout.splitlines() if line.startswith("echo ")]
    assert "load error" in row
    assert "no_such_module_anywhere" in row
    assert "local " in result.stdout  # the others still listed
