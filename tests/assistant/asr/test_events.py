"""Every event type round-trips through a JSON-ready dict."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assistant.asr import (
    BargeIn,
    Event,
    Final,
    Partial,
    SpeechEnded,
    SpeechStarted,
    WakeHeard,
    event_from_dict,
    event_to_dict,
)
from assistant.errors import UserInputError
from assistant.models import Hypothesis, Word

WORDS = (Word("call", 0.1, 0.4, 0.93), Word("li", 0.4, 0.6, 0.71), Word("wei", 0.6, 0.9, 0.64))

EVENTS: list[Event] = [
    Partial(text="call li"),
    Partial(text=""),
    Final(text=""),
    Final(
        text="call li wei",
        alternatives=(
            Hypothesis("call li wei", 0.6, WORDS),
            Hypothesis("call lee way", 0.4, (Word("call", 0.1, 0.4, 1.0),)),
        ),
        words=WORDS,
    ),
    SpeechStarted(time=1.23),
    SpeechEnded(time=3.5, reason="max_length"),
    BargeIn(time=0.5),
    WakeHeard(time=2.1, phrase="hey drive talk"),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.type)
def test_event_round_trips_through_json(event: Event) -> None:
    wire = json.loads(json.dumps(event_to_dict(event)))
    assert wire["type"] == event.type
    assert event_from_dict(wire) == event


def test_every_event_type_is_covered() -> None:
    assert {type(e) for e in EVENTS} == {
        Partial,
        Final,
        SpeechStarted,
        SpeechEnded,
        BargeIn,
        WakeHeard,
    }


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"type": "shout"},
        {"type": "partial"},
        {"type": "wake", "time": 1.0},
        {"type": "final", "text": "x", "words": [{"word": "x"}]},
        {"type": "speech_started", "time": "soon"},
        {"type": "final", "text": "x", "alternatives": [{"score": 1}]},
    ],
)
def test_malformed_events_are_user_input_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(UserInputError, match="ASR event"):
        event_from_dict(bad)
