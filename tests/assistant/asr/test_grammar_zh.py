"""Runtime grammars for Chinese short answers, cut into a Chinese model's words.

vosk's Chinese models cannot be downloaded here, so the model is the one
part faked: a lexicon answering vosk's word lookup the way a lookahead
Chinese model does (words and single characters; -1 for unknown). The
phrases are the dialog's own Chinese vocabulary lists.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.asr.pool import RecognizerPool
from assistant.asr.vosk_engine import LoadedModel, VoskTranscriber
from assistant.dialog.prompts import vocabulary

#: Words of the lexicon; every single character of the answers is a word too.
WORDS = ["是的", "好的", "可以", "发送", "不要", "不用", "算了", "取消", "第一", "第二", "第三"]
WORDS += ["帮助", "不对", "内容", "改成", "下一", "回复", "跳过", "[unk]"]
CHARACTERS = set("是的对好发吧可以送不要用了算取消再说一遍帮助把内容改成第二三个下条重听回复停跳过")


class Lexicon:
    """What vosk's model handle answers for ``vosk_model_find_word``."""

    def __init__(self, missing: str = "") -> None:
        self.known = (set(WORDS) | CHARACTERS) - set(missing)

    def vosk_model_find_word(self, word: str) -> int:
        return 1 if word in self.known else -1


def chinese_transcriber(lexicon: Lexicon) -> VoskTranscriber:
    model = LoadedModel(Path("vosk-model-small-cn-0.22"), 16000, 0.0, True, lexicon)
    return VoskTranscriber(model, pool=RecognizerPool(lambda: None, 1), language="zh")


@pytest.mark.parametrize("name", ["yes_no", "choice", "contact", "reading"])
def test_every_chinese_answer_list_becomes_a_grammar_of_model_words(name: str) -> None:
    phrases = vocabulary(name, "zh")
    grammar = chinese_transcriber(Lexicon()).grammar_json(phrases)
    assert grammar is not None
    parsed = json.loads(grammar)
    assert parsed[-1] == "[unk]"
    for phrase, words in zip(phrases, parsed, strict=False):
        assert words.replace(" ", "") == phrase  # the same answer, cut at word boundaries
    assert "\\u" not in grammar  # raw UTF-8: vosk does not decode JSON escapes


def test_answers_are_cut_at_the_longest_known_words() -> None:
    grammar = chinese_transcriber(Lexicon()).grammar_json(
        ["是的", "第一个", "不用了", "把内容改成"]
    )
    assert json.loads(grammar or "[]") == ["是的", "第一 个", "不用 了", "把 内容 改成", "[unk]"]


def test_an_answer_the_model_cannot_spell_falls_back_to_open_recognition() -> None:
    transcriber = chinese_transcriber(Lexicon(missing="吧"))
    assert transcriber.out_of_vocabulary(["发吧", "好的"]) == ("吧",)
    assert transcriber.grammar_json(["发吧", "好的"]) is None
