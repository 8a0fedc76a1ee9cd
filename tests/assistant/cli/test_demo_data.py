"""`drivetalk demo-data` and the CLI's error contract, run as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def drivetalk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_demo_data_creates_then_reports_existing(tmp_path: Path) -> None:
    first = drivetalk("demo-data", "--data-dir", str(tmp_path), "--now", "2026-11-23T08:00")
    assert first.returncode == 0, first.stderr
    assert "created" in first.stdout
    assert "35 colleagues" in first.stdout
    again = drivetalk("demo-data", "--data-dir", str(tmp_path))
    assert "already present" in again.stdout
    reset = drivetalk("demo-data", "--data-dir", str(tmp_path), "--reset")
    assert "created" in reset.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo-data", "--now", "yesterday-ish"], "not an ISO 8601"),
        (["demo-data", "--tz", "Mars/Olympus"], "unknown time zone"),
        (["--config", "/nonexistent/drivetalk.toml", "demo-data"], "config file not found"),
    ],
)
def test_user_mistakes_are_one_line_without_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = drivetalk(*args, "--data-dir", str(tmp_path))
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_corrupt_store_is_reported_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "drivetalk.sqlite3").write_bytes(b"garbage" * 500)
    result = drivetalk("demo-data", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"drivetalk: error: {tmp_path / 'drivetalk.sqlite3'} is not a DriveTalk store: "
        "file is not a database"
    ]


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "drivetalk.sqlite3").write_bytes(b"garbage" * 500)
    result = drivetalk("--verbose", "demo-data", "--data-dir", str(tmp_path))
    assert "Traceback" in result.stderr
