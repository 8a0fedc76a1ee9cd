"""The ``[dialog]`` settings: defaults, environment, bad values, mapping to the policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.compose import policy_from
from assistant.config import load_settings
from assistant.dialog.state import Policy
from assistant.errors import ConfigError


def test_defaults_match_the_engine_policy() -> None:
    settings = load_settings(None)
    assert policy_from(settings.dialog) == Policy()


def test_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[dialog]\nanswer_timeout = 5\nannouncement_read = "never"\n')
    monkeypatch.setenv("DRIVETALK_DIALOG__MAX_SPOKEN_CHARS", "120")
    policy = policy_from(load_settings(config).dialog)
    assert policy == Policy(answer_timeout=5, announcement_read="never", max_spoken_chars=120)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DRIVETALK_DIALOG__ANNOUNCEMENT_READ", "sometimes"),
        ("DRIVETALK_DIALOG__ANSWER_TIMEOUT", "0"),
        ("DRIVETALK_DIALOG__CONFIRM_TIMEOUT", "soon"),
        ("DRIVETALK_DIALOG__MAX_SPOKEN_CHARS", "5"),
    ],
)
def test_bad_values_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match="dialog"):
        load_settings(None)
