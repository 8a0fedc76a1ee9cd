"""The parser, specified by data files: phrasings, names, times, context, n-best, OOD."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.models import ACTION_INTENTS, Hypothesis, Intent
from intents.parser import Parser
from intents.result import Expect, ParseContext

from .conftest import check_resolution, check_slots, load, now_of

INTENTS = load("intents.yaml")["cases"]
NAMES = load("names.yaml")["cases"]
TIMES = load("times.yaml")["cases"]
CONTEXT = load("context.yaml")["cases"]
NBEST = load("nbest.yaml")["cases"]
OOD = load("ood.yaml")["sentences"]


@pytest.mark.parametrize("case", INTENTS, ids=[c["text"] or "<empty>" for c in INTENTS])
def test_intent_and_slots(parser: Parser, case: dict[str, Any]) -> None:
    result = parser.parse(case["text"], now=now_of("intents.yaml"))
    assert result.intent == Intent(case["intent"]), result.to_json()
    check_slots(result.slots, case.get("slots", {}), case.get("absent"))
    assert 0.0 <= result.confidence <= 1.0


@pytest.mark.parametrize("case", NAMES, ids=[c["heard"] for c in NAMES])
def test_heard_names_resolve(parser: Parser, case: dict[str, Any]) -> None:
    expected = {k: v for k, v in case.items() if k != "heard"}
    check_resolution(parser.contacts.resolve(case["heard"]), expected)


@pytest.mark.parametrize("case", TIMES, ids=[c["text"] for c in TIMES])
def test_time_phrases(parser: Parser, case: dict[str, Any]) -> None:
    context = ParseContext(expect=Expect.TIME)
    result = parser.parse(case["text"], now=now_of("times.yaml"), context=context)
    assert result.intent is Intent.CREATE_EVENT, result.to_json()
    expected = {k: v for k, v in case.items() if k != "text"}
    check_slots(result.slots, expected)
    for value in result.slots.values():
        if hasattr(value, "tzinfo"):
            assert value.tzinfo is not None


@pytest.mark.parametrize("case", CONTEXT, ids=[f"{c['expect']}: {c['text']}" for c in CONTEXT])
def test_context_rules(parser: Parser, case: dict[str, Any]) -> None:
    context = ParseContext(Expect(case["expect"]), tuple(case.get("choices", ())))
    result = parser.parse(case["text"], now=now_of("context.yaml"), context=context)
    assert result.intent == Intent(case["intent"]), result.to_json()
    check_slots(result.slots, case.get("slots", {}))


@pytest.mark.parametrize("case", NBEST, ids=[c["name"] for c in NBEST])
def test_nbest_picks_best_joint_reading(parser: Parser, case: dict[str, Any]) -> None:
    hypotheses = [Hypothesis(h["text"], h["score"]) for h in case["hypotheses"]]
    result = parser.parse(hypotheses, now=now_of("nbest.yaml"))
    assert result.intent == Intent(case["intent"]), result.to_json()
    check_slots(result.slots, case.get("slots", {}))


@pytest.mark.parametrize("sentence", OOD)
def test_out_of_domain_is_none(parser: Parser, sentence: str) -> None:
    result = parser.parse(sentence, now=now_of("intents.yaml"))
    assert result.intent not in ACTION_INTENTS, result.to_json()
    assert result.intent is Intent.NONE, result.to_json()


PHRASINGS = [
    (intent, text)
    for intent, texts in load("phrasings.yaml")["phrasings"].items()
    for text in texts
]


@pytest.mark.parametrize(("intent", "text"), PHRASINGS, ids=[t for _, t in PHRASINGS])
def test_phrasings(parser: Parser, intent: str, text: str) -> None:
    result = parser.parse(text, now=now_of("intents.yaml"))
    accepted = {intent, "reply_message"} if intent == "send_message" else {intent}
    assert result.intent.value in accepted, result.to_json()


DRIVER = load("driver_speech.yaml")["cases"]


@pytest.mark.parametrize("case", DRIVER, ids=[c["text"] for c in DRIVER])
def test_driver_speech(parser: Parser, case: dict[str, Any]) -> None:
    result = parser.parse(case["text"], now=now_of("driver_speech.yaml"))
    assert result.intent == Intent(case["intent"]), result.to_json()
    check_slots(result.slots, case.get("slots", {}), case.get("absent"))
