"""Where a request may begin inside thinking aloud (intents/asides.py)."""

from __future__ import annotations

import pytest

from intents.asides import MAX_TAILS, Asides
from intents.text import tokenize

ASIDES = Asides(["can you", "so can you", "maybe", "please"])


@pytest.mark.parametrize(
    ("text", "tails"),
    [
        # Earliest first; the longer opener wins where both start.
        (
            "the parts are late so can you tell li na maybe today",
            ["tell li na maybe today", "today"],
        ),
        # An opener at the very start is the request itself; at the end it opens nothing.
        ("can you tell li na", []),
        ("tell li na please", []),
        ("i was thinking please tell li na", ["tell li na"]),
    ],
)
def test_the_words_after_each_opener_are_tails(text: str, tails: list[str]) -> None:
    assert [" ".join(t.words) for t in ASIDES.tails(tokenize(text))] == tails


def test_a_monologue_yields_a_bounded_number_of_tails() -> None:
    text = " ".join(["and maybe this"] * 20)
    assert len(ASIDES.tails(tokenize(text))) == MAX_TAILS
