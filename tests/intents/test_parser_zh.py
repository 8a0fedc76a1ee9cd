"""The Mandarin parser, specified by data files under data/zh/ (as the English ones are)."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.errors import ConfigError
from assistant.models import ACTION_INTENTS, Contact, Intent
from intents.parser import Parser
from intents.result import Expect, ParseContext
from intents.text import join_words, tokenize_cjk
from intents.timeparse_zh import ZhTimeScanner, number

from .conftest import check_slots, load, now_of

INTENTS = load("zh/intents.yaml")["cases"]
TIMES = load("zh/times.yaml")["cases"]
CONTEXT = load("zh/context.yaml")["cases"]
SPEECH = load("zh/speech.yaml")["cases"]
OOD = load("zh/ood.yaml")["sentences"]


@pytest.fixture(scope="module")
def zh_parser() -> Parser:
    """One Chinese parser over data/zh/directory.yaml (built once: it is immutable)."""
    contacts = [
        Contact(**{**row, "aliases": tuple(row.get("aliases", ()))})
        for row in load("zh/directory.yaml")["contacts"]
    ]
    return Parser.from_contacts(contacts, "zh")


@pytest.mark.parametrize("case", INTENTS, ids=[c["text"] for c in INTENTS])
def test_intent_and_slots(zh_parser: Parser, case: dict[str, Any]) -> None:
    result = zh_parser.parse(case["text"], now=now_of("zh/intents.yaml"))
    assert result.intent == Intent(case["intent"]), result.to_json()
    check_slots(result.slots, case.get("slots", {}), case.get("absent"))
    assert 0.0 <= result.confidence <= 1.0


@pytest.mark.parametrize("case", TIMES, ids=[c["text"] for c in TIMES])
def test_time_phrases(zh_parser: Parser, case: dict[str, Any]) -> None:
    context = ParseContext(expect=Expect.TIME)
    result = zh_parser.parse(case["text"], now=now_of("zh/times.yaml"), context=context)
    assert result.intent is Intent.CREATE_EVENT, result.to_json()
    check_slots(result.slots, {k: v for k, v in case.items() if k != "text"})
    for value in result.slots.values():
        if hasattr(value, "tzinfo"):
            assert value.tzinfo is not None


@pytest.mark.parametrize("case", CONTEXT, ids=[f"{c['expect']}: {c['text']}" for c in CONTEXT])
def test_context_rules(zh_parser: Parser, case: dict[str, Any]) -> None:
    context = ParseContext(Expect(case["expect"]), tuple(case.get("choices", ())))
    result = zh_parser.parse(case["text"], now=now_of("zh/context.yaml"), context=context)
    assert result.intent == Intent(case["intent"]), result.to_json()
    check_slots(result.slots, case.get("slots", {}))


@pytest.mark.parametrize("case", SPEECH, ids=[c["text"] for c in SPEECH])
def test_how_a_recogniser_writes(zh_parser: Parser, case: dict[str, Any]) -> None:
    result = zh_parser.parse(case["text"], now=now_of("zh/speech.yaml"))
    assert result.intent == Intent(case["intent"]), result.to_json()
    check_slots(result.slots, case.get("slots", {}))


@pytest.mark.parametrize("sentence", OOD)
def test_other_assistants_requests_are_none(zh_parser: Parser, sentence: str) -> None:
    result = zh_parser.parse(sentence, now=now_of("zh/intents.yaml"))
    assert result.intent not in ACTION_INTENTS, result.to_json()


def test_unknown_name_still_finds_the_intent_with_an_empty_directory() -> None:
    parser = Parser.from_contacts([], "zh")
    result = parser.parse("给王芳发消息说我晚点到", now=now_of("zh/intents.yaml"))
    assert result.intent is Intent.SEND_MESSAGE
    check_slots(result.slots, {"recipient": {"query": "王芳", "unknown": True}, "body": "我晚点到"})


def test_english_text_is_not_understood_as_chinese_and_vice_versa(zh_parser: Parser) -> None:
    english = Parser.from_contacts([], "en")
    now = now_of("zh/intents.yaml")
    assert english.parse("给张三发消息说我晚点到", now=now).intent is Intent.NONE
    assert zh_parser.parse("", now=now).intent is Intent.NONE
    assert zh_parser.parse("？？！", now=now).intent is Intent.NONE


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("给David发个消息", ["给", "david", "发", "个", "消", "息"]),
        ("3:30开会", ["3:30", "开", "会"]),
        ("明天3pm", ["明", "天", "3", "pm"]),
        ("ＡＢＣ，你好", ["abc", "你", "好"]),
    ],
)
def test_each_chinese_character_is_a_token_and_latin_runs_are_words(
    text: str, tokens: list[str]
) -> None:
    assert list(tokenize_cjk(text).words) == tokens


def test_names_are_joined_without_spaces_between_characters() -> None:
    assert join_words(("销", "售", "部", "的", "李", "伟")) == "销售部的李伟"
    assert join_words(("li", "na")) == "li na"
    assert join_words(("给", "david", "miller")) == "给david miller"


def test_an_utterance_far_longer_than_a_command_is_none_and_a_long_body_is_kept(
    zh_parser: Parser,
) -> None:
    now = now_of("zh/intents.yaml")
    rambling = "给张三发消息说明天下午三点开会" * 40  # 600 characters
    assert zh_parser.parse(rambling, now=now).intent is Intent.NONE
    body = zh_parser.parse(rambling, now=now, context=ParseContext(Expect.BODY))
    assert body.intent is Intent.SEND_MESSAGE
    assert body.slots["body"] == rambling


def test_incomplete_chinese_time_vocabulary_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"zh/time\.yaml"):
        ZhTimeScanner({"working_hours_start": 8})


@pytest.mark.parametrize(
    ("said", "value"),
    [("三", 3), ("十五", 15), ("两", 2), ("二十五", 25), ("零五", 5), ("30", 30), ("半", None)],
)
def test_numbers_in_characters_or_digits_are_read_by_cn2an(said: str, value: int | None) -> None:
    assert number(said) == value
