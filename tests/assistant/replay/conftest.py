"""Shared fixtures of the replay tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.assistant.replay.test_cli_replay import SMALL


@pytest.fixture
def manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small transcript-mode manifest (SMALL) in a fresh folder, with an empty config."""
    monkeypatch.delenv("DRIVETALK_MODEL", raising=False)
    monkeypatch.setenv("DRIVETALK_CONFIG", str(tmp_path / "config.toml"))
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    path = tmp_path / "replay" / "manifest.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(SMALL, sort_keys=False), encoding="utf-8")
    return path
