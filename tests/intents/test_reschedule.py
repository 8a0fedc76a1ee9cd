"""Moving a meeting: cancel_event with ``move`` and the old and new times (data/reschedule.yaml)."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.models import ACTION_INTENTS, Intent
from intents.parser import Parser
from intents.result import Expect, ParseContext

from .conftest import check_slots, load, now_of

DATA = load("reschedule.yaml")
NOW = now_of("reschedule.yaml")


@pytest.mark.parametrize("case", DATA["moves"], ids=[c["text"] for c in DATA["moves"]])
def test_a_move_is_cancel_event_with_the_new_time(parser: Parser, case: dict[str, Any]) -> None:
    result = parser.parse(case["text"], now=NOW)
    assert result.intent is Intent.CANCEL_EVENT, result.to_json()
    check_slots(result.slots, case["slots"], case.get("absent"))


@pytest.mark.parametrize("text", DATA["not_moves"])
def test_moving_other_things_is_no_action(parser: Parser, text: str) -> None:
    result = parser.parse(text, now=NOW)
    assert result.intent not in ACTION_INTENTS, result.to_json()
    assert "move" not in result.slots


@pytest.mark.parametrize("case", DATA["others"], ids=[c["text"] for c in DATA["others"]])
def test_neighbouring_requests_keep_their_meaning(parser: Parser, case: dict[str, Any]) -> None:
    result = parser.parse(case["text"], now=NOW)
    assert result.intent == Intent(case["intent"]), result.to_json()
    check_slots(result.slots, case["slots"], case.get("absent"))


@pytest.mark.parametrize("case", DATA["answers"], ids=[c["text"] for c in DATA["answers"]])
def test_a_time_answer_says_what_was_left_out(parser: Parser, case: dict[str, Any]) -> None:
    result = parser.parse(case["text"], now=NOW, context=ParseContext(Expect.TIME))
    assert result.intent is Intent.CREATE_EVENT, result.to_json()
    check_slots(result.slots, case["slots"], case.get("absent"))
