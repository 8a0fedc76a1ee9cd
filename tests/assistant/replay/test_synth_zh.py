"""Synthetic Chinese utterances: the Mandarin voice from pinyin, Latin names in English, noise."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from assistant.replay.synth import LEAD_S, OUT_RATE, TRAIL_S, Rendering, render, speak_line

pytestmark = [
    pytest.mark.espeak,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng"),
]

CLEAN = Rendering("cmn-latn-pinyin", 160, locale="zh")


def test_a_latin_name_is_spoken_by_the_english_voice_of_the_same_variant() -> None:
    assert Rendering("cmn-latn-pinyin+f3", 160, locale="zh").latin_voice == "en-us+f3"
    assert CLEAN.latin_voice == "en-us"


def test_a_chinese_line_lasts_as_long_as_its_syllables() -> None:
    seconds = len(speak_line("好的，已经发给张三了", CLEAN)) / OUT_RATE
    assert 1.5 < seconds < 4.5  # ten syllables and a pause


def test_a_name_in_english_adds_its_own_speech() -> None:
    with_name = len(speak_line("给David发个消息", CLEAN))
    without = len(speak_line("给发个消息", CLEAN))
    assert with_name > without + 0.2 * OUT_RATE


def test_numbers_are_said_the_chinese_way() -> None:
    digits = speak_line("明天3点", CLEAN)
    words = speak_line("明天三点", CLEAN)
    assert np.array_equal(digits, words)


def test_a_noisy_chinese_rendering_is_padded_and_reproducible() -> None:
    how = Rendering("cmn-latn-pinyin+m3", 175, "cabin", 10.0, locale="zh")
    first = render("给David发个消息说meeting改到三点", how, seed=7)
    again = render("给David发个消息说meeting改到三点", how, seed=7)
    assert np.array_equal(first, again)
    lead = first[: int(LEAD_S * OUT_RATE)]
    assert float(np.sqrt(np.mean(lead**2))) > 1e-3  # cabin noise runs through the lead-in
    assert len(first) > (LEAD_S + TRAIL_S + 2.0) * OUT_RATE
