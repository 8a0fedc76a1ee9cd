"""Chinese on the recognizer's side: results written without spaces, grammars in model words."""

from __future__ import annotations

import pytest

from assistant.asr.hanzi import join_words, to_model_words, uncovered

#: A vocabulary like a Chinese model's lexicon: words and single characters.
LEXICON = {"是的", "是", "的", "对", "好的", "好", "不", "不要", "取消", "第一", "一", "个", "第"}


def known(word: str) -> bool:
    return word in LEXICON


@pytest.mark.parametrize(
    ("words", "text"),
    [
        (["给", "张三", "发", "消息"], "给张三发消息"),
        (["给", "david", "发", "消息"], "给 david 发消息"),
        (["send", "it"], "send it"),
        (["네", "취소"], "네 취소"),  # Hangul keeps its spaces
        (["好的", "", "对"], "好的对"),
        ([], ""),
    ],
)
def test_join_words(words: list[str], text: str) -> None:
    assert join_words(words) == text


@pytest.mark.parametrize(
    ("phrase", "words"),
    [
        ("是的", ["是的"]),
        ("好的", ["好的"]),
        ("不要", ["不要"]),
        ("第一个", ["第一", "个"]),
        ("不对", ["不", "对"]),
        ("取消吧", None),  # 吧 is not in the lexicon
    ],
)
def test_a_phrase_is_cut_into_the_longest_words_the_model_knows(
    phrase: str, words: list[str] | None
) -> None:
    assert to_model_words(phrase, known) == words


def test_the_characters_no_word_covers_are_named() -> None:
    assert uncovered("取消吧好呀", known) == ["吧", "呀"]
    assert uncovered("第一个", known) == []
