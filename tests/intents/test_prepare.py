"""Cleaning before matching: keyword slips of several characters respelled (speech.yaml)."""

from __future__ import annotations

import pytest

from assistant.errors import ConfigError
from intents.prepare import Preparer
from intents.text import tokenize, tokenize_cjk


def test_a_slip_is_respelled_in_place_and_keeps_what_was_said() -> None:
    preparer = Preparer({"respell_phrases": {"取销": "取消", "销息": "消息"}}, frozenset())
    heard = tokenize_cjk("取销明天的会 发个销息")
    tokens = preparer.clean(heard)
    assert "".join(tokens.words) == "取消明天的会发个消息"
    assert tokens.spans == heard.spans  # each character keeps its place in what was heard
    assert tokens.surface(0, 2) == "取销"  # a dictated body keeps the driver's words


def test_words_that_only_contain_a_slip_partly_stay_as_they_are() -> None:
    preparer = Preparer({"respell_phrases": {"销息": "消息"}}, frozenset())
    assert "".join(preparer.clean(tokenize_cjk("销售部的消息")).words) == "销售部的消息"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"取销": "取消了"}, "must keep the number of tokens"),
        ({"": "取消"}, "must keep the number of tokens"),
        (["取销", "取消"], "must map a slip"),
    ],
)
def test_bad_respellings_are_one_clear_config_error(data: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Preparer({"respell_phrases": data}, frozenset())


def test_a_stutter_across_a_pause_is_dropped_but_a_doubled_word_is_not() -> None:
    preparer = Preparer({"stutter_tokens": 3}, frozenset())
    assert "".join(preparer.clean(tokenize_cjk("给 给谢婷发消息")).words) == "给谢婷发消息"
    assert "".join(preparer.clean(tokenize_cjk("读一下 读一下消息")).words) == "读一下消息"
    assert "".join(preparer.clean(tokenize_cjk("谢谢你")).words) == "谢谢你"  # no pause: a word
    # Only a whole stretch said again: 下 after the pause starts 下周一.
    assert "".join(preparer.clean(tokenize_cjk("记一下 下周一")).words) == "记一下下周一"


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("tell peter uh peter zhou that it's fine", "tell peter zhou that it's fine"),
        ("text li na um li na from marketing hi", "text li na from marketing hi"),
        ("email zhang uh zhang san", "email zhang san"),
        # Too far back, or a word said everywhere: nothing is taken again.
        ("tell peter the report is late uh peter says", "tell peter the report is late peter says"),
        ("the number for uh the logistics guy", "the number for the logistics guy"),
    ],
)
def test_a_stretch_said_again_after_a_hesitation_replaces_the_first_try(
    heard: str, meant: str
) -> None:
    speech = {"drop_anywhere": ["uh", "um"], "retake_after_hesitation": 3, "retake_never": ["the"]}
    preparer = Preparer(speech, frozenset())
    assert " ".join(preparer.clean(tokenize(heard)).words) == meant
