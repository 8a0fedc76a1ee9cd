"""Speech for drivers: table-driven from speech_cases.yaml, plus invariants."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from assistant.dialog import speech
from tests.conftest import NOW

CASES = yaml.safe_load((Path(__file__).parent / "speech_cases.yaml").read_text(encoding="utf-8"))
ISO = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}|T\d{2}:")


@pytest.mark.parametrize(("moment", "spoken"), CASES["at_time"])
def test_at_time(moment: str, spoken: str) -> None:
    assert speech.at_time(datetime.fromisoformat(moment), NOW) == spoken


@pytest.mark.parametrize(("minutes", "spoken"), CASES["duration"])
def test_duration(minutes: int, spoken: str) -> None:
    assert speech.duration(minutes) == spoken


@pytest.mark.parametrize(("start", "end", "spoken"), CASES["period"])
def test_period(start: str, end: str, spoken: str) -> None:
    assert speech.period(datetime.fromisoformat(start), datetime.fromisoformat(end), NOW) == spoken


@pytest.mark.parametrize(("text", "limit", "head", "rest"), CASES["split"])
def test_split_for_speech(text: str, limit: int, head: str, rest: str) -> None:
    assert speech.split_for_speech(text, limit) == (head, rest)


@given(st.integers(min_value=-60 * 24 * 400, max_value=60 * 24 * 400))
def test_no_moment_is_ever_spoken_as_iso(minutes: int) -> None:
    spoken = speech.at_time(NOW + timedelta(minutes=minutes), NOW)
    assert not ISO.search(spoken)
    assert spoken.startswith("at ")


@given(
    st.text(alphabet=st.sampled_from("ab .,!?\n"), min_size=1, max_size=600),
    st.integers(min_value=40, max_value=300),
)
def test_split_loses_no_words_and_respects_the_limit(text: str, limit: int) -> None:
    head, rest = speech.split_for_speech(text, limit)
    assert len(head) <= limit + 3  # plus the ellipsis
    # Only whitespace and the punctuation at the cut may change.
    assert re.sub(r"[\s,;:.]", "", head + rest) == re.sub(r"[\s,;:.]", "", text)


@pytest.mark.parametrize(
    ("names", "spoken"),
    [
        ([], ""),
        (["Li Na"], "Li Na"),
        (["Li Na", "Zhang San"], "Li Na and Zhang San"),
        (["A", "B", "C"], "A, B and C"),
    ],
)
def test_join_names(names: list[str], spoken: str) -> None:
    assert speech.join_names(names) == spoken
