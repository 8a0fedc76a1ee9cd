"""What an answer means when the dialog expects one (see intents/README.md).

Only the rules that differ from an ordinary parse live here; when a rule does
not apply the utterance is parsed as usual, so a driver can always change
the subject ("actually, what's on my calendar?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from intents.numbers import NumberWords
from intents.text import Tokens

_CHOICE_FRAME = re.compile(
    r"^(?:(?:i mean|i meant|yes|no|it's|it is|that's|that is|the one|the person|the guy|"
    r"the lady|the one who is|the one who's|the one that's|choose|pick|take|select|"
    r"number|option|from|in|at|of|works in|who works in|works at|the)\s+)*"
)
_CHOICE_TAIL = re.compile(r"\s+(?:one|department|dept|team|please|option)$")
#: A choice must score this (0-100) and beat the runner-up by the margin.
CHOICE_CUTOFF = 70
CHOICE_MARGIN = 8


def pick_choice(tokens: Tokens, choices: Sequence[str], numbers: NumberWords) -> int | None:
    """Index of the choice the answer picks ("the second one", "sales"), or None."""
    if not choices or not tokens.words:
        return None
    ordinal = _ordinal(tokens.words, numbers)
    if ordinal is not None:
        index = len(choices) - 1 if ordinal == -1 else ordinal - 1
        return index if 0 <= index < len(choices) else None
    text = _CHOICE_TAIL.sub("", _CHOICE_FRAME.sub("", tokens.text))
    if not text:
        return None
    scores = [_choice_score(text, choice) for choice in choices]
    return decisive(scores, CHOICE_CUTOFF, CHOICE_MARGIN)


def decisive(scores: Sequence[float], cutoff: float, margin: float) -> int | None:
    """The index of the best score if it reaches ``cutoff`` and beats the
    runner-up by ``margin``; None when the answer does not tell them apart."""
    ranked = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
    if not ranked:
        return None
    best = ranked[0]
    runner_up = scores[ranked[1]] if len(ranked) > 1 else 0.0
    if scores[best] >= cutoff and scores[best] - runner_up >= margin:
        return best
    return None


def _ordinal(words: Sequence[str], numbers: NumberWords) -> int | None:
    content = [w for w in words if w not in ("the", "one", "number", "option", "please", "choice")]
    if len(content) != 1:
        return None
    word = content[0]
    hit = numbers.ordinal([word], 0)
    if hit is not None:
        return hit[0]
    if word.isdigit() or (len(words) > 1 and words[0] in ("number", "option")):
        cardinal = numbers.cardinal([word], 0)
        return int(cardinal[0]) if cardinal else None
    return None


def _choice_score(text: str, choice: str) -> float:
    lowered = choice.lower().replace(",", " ")
    # "sales" names one part of "Li Wei, Sales"; "li wei from finance" all of it.
    return max(
        fuzz.token_set_ratio(text, lowered),
        fuzz.partial_ratio(text, lowered) if len(text) >= 4 else 0.0,
    )
