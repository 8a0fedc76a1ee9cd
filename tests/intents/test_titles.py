"""An event's own title words win over the grammar's occasion words.

Specification: with the calendar's titles in the parse context, a cancel
whose title was cut short at an occasion word ("budget" + "check in") takes
the event's whole title; without titles, or when nothing said matches one,
the grammar's reading stands.
"""

from __future__ import annotations

import pytest

from intents.parser import Parser
from intents.result import ParseContext
from tests.conftest import NOW

TITLES = ("Budget check-in", "Fleet planning", "Design review")
CASES = [
    # said, calendar titles, title expected
    ("cancel the budget check-in tomorrow", TITLES, "Budget check-in"),
    ("cancel the budget check in tomorrow", TITLES, "Budget check-in"),
    ("cancel my budget checkin", TITLES, "Budget check-in"),
    ("cancel the budget check-in tomorrow", (), "budget"),
    ("cancel the budget check-in tomorrow", ("Budget review",), "budget"),
    ("cancel my fleet planning meeting on wednesday", TITLES, "fleet planning"),
    ("cancel the design review", TITLES, "Design review"),
    ("cancel the design review", (), "design"),
]


@pytest.fixture(scope="module")
def parser() -> Parser:
    return Parser.from_contacts([], "en")


@pytest.mark.parametrize(("said", "titles", "title"), CASES)
def test_the_calendar_title_said_in_full_is_the_title(
    parser: Parser, said: str, titles: tuple[str, ...], title: str
) -> None:
    result = parser.parse(said, now=NOW, context=ParseContext(titles=titles))
    assert result.intent.value == "cancel_event"
    assert result.slots["title"] == title
