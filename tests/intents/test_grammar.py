"""The grammar compiler: template syntax, bad grammar data, fuzzy keywords."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from assistant.errors import ConfigError
from assistant.models import Intent
from intents.grammar import compile_grammar, load_grammar
from intents.matcher import Matcher
from intents.template import Alt, RuleRef, SlotRef, Word, parse_template
from intents.text import tokenize
from tests.intents.conftest import load

SIDE: dict[str, Any] = {"speech": {}}


def grammar_of(sentences: list[str], **extra: Any) -> Any:
    merged = {
        "intents": {"send_message": {"data": [{"sentences": sentences}]}},
        "lists": {"body": {"wildcard": True}, "recipient": {"contact": True}},
        "rules": {"msg": "(message|text)"},
    }
    for key, value in extra.items():
        merged[key].update(value)
    return compile_grammar("test", merged, SIDE)


def test_template_syntax_tree() -> None:
    node = parse_template("[please] (send|write) <msg> to {recipient} {body:text}")
    assert node.items[0] == Alt(node.items[0].options, optional=True)  # type: ignore[attr-defined]
    assert RuleRef("msg") in node.items  # type: ignore[attr-defined]
    assert SlotRef("recipient", "recipient") in node.items  # type: ignore[attr-defined]
    assert SlotRef("body", "text") in node.items  # type: ignore[attr-defined]
    assert Word("to") in node.items  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "template",
    ["(send|write", "send]", "[send", "send <msg", "send } x", "(i|we) 'd like"],
)
def test_bad_template_syntax_is_a_config_error(template: str) -> None:
    with pytest.raises(ConfigError):
        parse_template(template)


@pytest.mark.parametrize(
    ("sentences", "extra", "message"),
    [
        (["send <nope>"], {}, "unknown rule"),
        (["send {nope}"], {}, "unknown list"),
        (["{body} and {body}"], {}, "does not compile"),
        (["send <loop>"], {"rules": {"loop": "a <loop>"}}, "refers to itself"),
        (["tell {x}"], {"lists": {"x": {"wildcard": True, "starts": "i"}}}, "starts must be"),
        (["tell {x}"], {"lists": {"x": {"wildcard": True, "except": "me"}}}, "except must be"),
    ],
)
def test_bad_grammar_data_is_a_config_error(
    sentences: list[str], extra: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        grammar_of(sentences, **extra)


def test_unknown_intent_name_is_a_config_error() -> None:
    merged = {
        "intents": {"order_pizza": {"data": [{"sentences": ["pizza"]}]}},
        "lists": {},
        "rules": {},
    }
    with pytest.raises(ConfigError, match="unknown intent"):
        compile_grammar("test", merged, SIDE)


def test_templates_match_alternatives_optionals_and_captures() -> None:
    grammar = grammar_of(["[please] (send|write) [a] <msg> to {recipient} saying {body}"])
    matcher = Matcher(grammar)
    match = matcher.match(tokenize("please write a text to li na saying hello there"))[0]
    assert match.intent is Intent.SEND_MESSAGE
    assert match.spans == {"recipient": (5, 7), "body": (8, 10)}
    assert matcher.match(tokenize("send a letter to li na saying hi")) == []


def test_free_text_can_be_required_to_start_with_certain_words() -> None:
    grammar = grammar_of(
        ["tell {recipient} {clause:body}"],
        lists={"clause": {"wildcard": True, "starts": ["i'm", "we"]}},
    )
    matcher = Matcher(grammar)
    match = matcher.match(tokenize("tell li na i'm late"))[0]
    assert match.spans == {"recipient": (1, 3), "body": (3, 5)}
    assert matcher.match(tokenize("tell me a joke")) == []


def test_the_english_grammar_loads_once() -> None:
    assert load_grammar("en") is load_grammar("en")
    assert len(load_grammar("en").templates) > 100


def test_unknown_locale_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no grammar"):
        load_grammar("xx")


@pytest.mark.parametrize(
    ("heard", "intent"),
    [(case["text"], Intent(case["intent"])) for case in load("misheard_keywords.yaml")["cases"]],
)
def test_misheard_keywords_are_corrected(
    parser: Any, heard: str, intent: Intent, now: datetime
) -> None:
    assert parser.parse(heard, now=now).intent is intent
