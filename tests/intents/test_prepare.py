"""Cleaning before matching: keyword slips of several characters respelled (speech.yaml)."""

from __future__ import annotations

import pytest

from assistant.errors import ConfigError
from intents.prepare import Preparer
from intents.text import tokenize_cjk


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
