"""Pinyin name words said as a driver says them: Mandarin-like, or as an English reader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.asr.pinyin_phones import pinyin_pronunciations, split_pinyin

CASES = yaml.safe_load((Path(__file__).parent / "data" / "pinyin_phones.yaml").read_text("utf-8"))


@pytest.mark.parametrize(("word", "readings"), sorted(CASES.items()))
def test_a_pinyin_word_has_its_mandarin_like_and_english_readings(
    word: str, readings: list[str]
) -> None:
    assert pinyin_pronunciations(word) == readings


@pytest.mark.parametrize(
    ("word", "syllables"),
    [("weiming", ("wei", "ming")), ("lina", ("li", "na")), ("xian", ("xian",)), ("lee", ())],
)
def test_glued_pinyin_splits_into_the_fewest_syllables_none_after_the_first_a_vowel(
    word: str, syllables: tuple[str, ...]
) -> None:
    assert split_pinyin(word) == syllables
