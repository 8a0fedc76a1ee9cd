"""An intent the statistical arbiter took without slots (issue 15, item 3).

Specification: when the grammar found nothing and the arbiter names the intent,
the parse carries only what the words plainly gave, often nothing. For every
intent, in both locales, the dialog then asks for what it needs (or only
reads); it never sends, creates or cancels on that first turn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.dialog.actions import CancelEvent, CreateEvent, SendMessage
from assistant.dialog.state import DialogState, Policy
from tests.assistant.dialog.helpers import Driver, said

CASES: dict[str, dict[str, dict[str, Any]]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "rescued.yaml").read_text(encoding="utf-8")
)
TABLE = [
    (locale, intent, expected)
    for locale, intents in CASES.items()
    for intent, expected in intents.items()
]


@pytest.mark.parametrize(
    ("locale", "intent", "expected"), TABLE, ids=[f"{loc}-{i}" for loc, i, _ in TABLE]
)
def test_a_bare_intent_asks_for_what_it_needs_and_does_nothing(
    locale: str, intent: str, expected: dict[str, Any]
) -> None:
    driver = Driver(DialogState(policy=Policy(locale=locale)))
    actions = driver.say(said(intent))
    assert actions, "the dialog answered nothing"
    assert type(actions[0]).__name__ == expected["first"]
    assert not [a for a in actions if isinstance(a, SendMessage | CreateEvent | CancelEvent)]
    if "asks" in expected:
        assert expected["asks"] in Driver.spoken(actions)
    if expected.get("listens"):
        Driver.listen(actions)
