"""`drivetalk replay` without PATH finds the checkout's sample set, or says how to get it."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import UserInputError
from assistant.replay import samples

ROOT = Path(__file__).resolve().parents[3]


def test_the_checkouts_sample_set_is_found_from_anywhere(tmp_path: Path) -> None:
    assert samples.find_samples(tmp_path) == ROOT / "audio_samples"


def test_the_working_directory_wins(tmp_path: Path) -> None:
    (tmp_path / "audio_samples").mkdir()
    (tmp_path / "audio_samples" / "manifest.yaml").write_text("cases: []\n")
    assert samples.find_samples(tmp_path) == tmp_path / "audio_samples"


def test_an_installed_package_says_how_to_get_the_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(samples, "candidates", lambda cwd=None: [tmp_path / "audio_samples"])
    with pytest.raises(UserInputError, match="not installed with the drivetalk wheel") as caught:
        samples.find_samples(tmp_path)
    assert "git clone" in str(caught.value)
