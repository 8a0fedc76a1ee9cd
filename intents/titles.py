"""An event's own title words over the grammar's occasion words.

"cancel the budget check-in tomorrow" reads, by the grammar, as the title
"budget" followed by the occasion "check in" (as "cancel my fleet planning
meeting" is "fleet planning" and a meeting). When the driver's calendar holds
an event called "Budget check-in", the words said are its title: the title
slot becomes that event's title. The calendar's titles come in per parse
(:attr:`intents.result.ParseContext.titles`), as contact names do, so the
parser still knows no backend.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.models import Intent
from intents.result import ParseResult

#: Intents whose title names an event already in the calendar.
TITLED = frozenset({Intent.CANCEL_EVENT})
#: How many words after the captured title may still belong to an event's title.
MAX_EXTRA_WORDS = 3
_WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _WORD.findall(text))


def _key(words: Sequence[str]) -> str:
    """Spaces and hyphens do not count: "check-in", "check in", "checkin"."""
    return "".join(words)


def with_calendar_title(result: ParseResult, titles: Sequence[str]) -> ParseResult:
    """``result`` whose title is the calendar event's own title it was cut short of.

    The title found must be followed, in what was said, by the rest of a
    calendar title (up to :data:`MAX_EXTRA_WORDS` words); otherwise the
    result is returned unchanged.
    """
    title = result.slots.get("title")
    if result.intent not in TITLED or not isinstance(title, str) or not titles:
        return result
    said, wanted = _words(result.text), _words(title)
    if not wanted:
        return result
    known = {_key(_words(t)): t for t in titles}
    if _key(wanted) in known:
        return result
    for start in range(len(said) - len(wanted) + 1):
        if said[start : start + len(wanted)] != wanted:
            continue
        end = start + len(wanted)
        for extra in range(min(MAX_EXTRA_WORDS, len(said) - end), 0, -1):
            found = known.get(_key(said[start : end + extra]))
            if found is not None:
                return replace(result, slots={**result.slots, "title": found})
    return result
