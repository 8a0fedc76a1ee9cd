"""Speech for Mandarin-speaking drivers: table-driven from speech_zh_cases.yaml, plus invariants.

The words are those of :mod:`assistant.dialog.speech` while the dialog
speaks ``zh`` (the engine sets it for each step; here :func:`speaking`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from assistant.dialog import speech
from assistant.dialog.locale import speaking
from tests.conftest import NOW

CASES = yaml.safe_load((Path(__file__).parent / "speech_zh_cases.yaml").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def mandarin() -> Iterator[None]:
    with speaking("zh"):
        yield


@pytest.mark.parametrize(("moment", "spoken"), CASES["at_time"])
def test_at_time(moment: str, spoken: str) -> None:
    assert speech.at_time(datetime.fromisoformat(moment), NOW) == spoken


@pytest.mark.parametrize(("minutes", "spoken"), CASES["duration"])
def test_duration(minutes: int, spoken: str) -> None:
    assert speech.duration(minutes) == spoken


@pytest.mark.parametrize(("start", "end", "spoken"), CASES["period"])
def test_period(start: str, end: str, spoken: str) -> None:
    assert speech.period(datetime.fromisoformat(start), datetime.fromisoformat(end), NOW) == spoken


@pytest.mark.parametrize(("n", "noun", "spoken"), CASES["count"])
def test_count(n: int, noun: str, spoken: str) -> None:
    assert speech.count(n, noun) == spoken


@pytest.mark.parametrize(("number", "spoken"), CASES["phone"])
def test_phone_numbers_digit_by_digit_with_yao(number: str, spoken: str) -> None:
    assert speech.spoken_phone(number) == spoken


@pytest.mark.parametrize(("names", "spoken"), CASES["names"])
def test_join_names(names: list[str], spoken: str) -> None:
    assert speech.join_names(names) == spoken


@pytest.mark.parametrize(("text", "limit", "head", "rest"), CASES["split"])
def test_split_for_speech(text: str, limit: int, head: str, rest: str) -> None:
    assert speech.split_for_speech(text, limit) == (head, rest)


@given(st.integers(min_value=-60 * 24 * 400, max_value=60 * 24 * 400))
def test_a_moment_is_spoken_in_characters_never_digits_or_latin(minutes: int) -> None:
    with speaking("zh"):  # hypothesis runs outside the fixture's context
        spoken = speech.at_time(NOW + timedelta(minutes=minutes), NOW)
    assert not re.search(r"[0-9A-Za-z]", spoken), spoken
    assert "点" in spoken


@given(st.integers(min_value=0, max_value=60 * 48))
def test_durations_are_chinese_words(minutes: int) -> None:
    with speaking("zh"):
        spoken = speech.duration(minutes)
    assert not re.search(r"[0-9A-Za-z]", spoken), spoken


def test_english_is_untouched_outside_a_chinese_step() -> None:
    with speaking("en"):
        assert speech.at_time(datetime.fromisoformat("2026-11-24T15:30:00+08:00"), NOW) == (
            "at 3:30 PM tomorrow"
        )
        assert speech.duration(90) == "an hour and a half"


def test_a_chinese_message_is_cut_after_the_same_time_of_speech_as_an_english_one() -> None:
    chinese, english = "客户明天上午九点到。", "The client arrives at nine tomorrow."
    assert speech.spoken_limit(220, chinese) == 66
    assert speech.spoken_limit(40, chinese) == 20  # never shorter than a sentence or two
    assert speech.spoken_limit(220, english) == 220  # English read in a Chinese session
    assert speech.spoken_limit(220, "请David明天上午把合同发给我") == 66  # mostly Chinese
    with speaking("en"):
        assert speech.spoken_limit(220, chinese) == 220


def test_every_localised_word_has_its_mandarin_namesake() -> None:
    from assistant.dialog import speech_zh

    localised = [
        name
        for name, value in vars(speech).items()
        if callable(value) and hasattr(value, "__wrapped__") and not name.startswith("_")
    ]
    assert len(localised) >= 14
    for name in localised:
        assert callable(getattr(speech_zh, name, None)), name
