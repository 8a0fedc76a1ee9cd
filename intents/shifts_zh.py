"""Relative moves in Mandarin: "提前半小时", "推迟一天", "往后推一个小时", "晚十五分钟".

As :mod:`intents.shifts` does for English: the amount becomes the ``shift``
slot of a move, in signed minutes (later is positive), and its characters
are no time phrase ("推迟一天" is not "a day" to put a meeting on). The
direction is said before the amount; an amount without one is no move by an
amount ("开一个小时" is a duration).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import cn2an

from intents.shifts import Shift

_EARLIER = ("提前", "往前挪", "往前提", "往前移", "往前推", "前移", "早")
_LATER = (
    "推迟",
    "推后",
    "延后",
    "延迟",
    "顺延",
    "往后推",
    "往后挪",
    "往后延",
    "往后移",
    "后移",
    "晚",
    "推",
)
_DIRECTION = "|".join(sorted(_EARLIER + _LATER, key=len, reverse=True))
_NUMBER = "[零一二两三四五六七八九十百0-9]+"
_UNIT = "(?P<unit>个半小时|个小时|个钟头|小时|钟头|分钟|分|天|个星期|星期|周)"
_SHIFT = re.compile(
    rf"(?P<dir>{_DIRECTION})了?(?:(?P<half>半个?小时|半个钟头)|(?P<quarter>一刻钟)"
    rf"|(?P<count>{_NUMBER}){_UNIT})"
)
_MINUTES = {
    "个半小时": 60,
    "个小时": 60,
    "个钟头": 60,
    "小时": 60,
    "钟头": 60,
    "分钟": 1,
    "分": 1,
    "天": 24 * 60,
    "个星期": 7 * 24 * 60,
    "星期": 7 * 24 * 60,
    "周": 7 * 24 * 60,
}


def find_shift_zh(words: Sequence[str]) -> Shift | None:
    """The relative move said in ``words`` (characters, as Mandarin is tokenised), or None."""
    text = "".join(words)
    found = _SHIFT.search(text)
    if found is None:
        return None
    minutes = _amount(found)
    if minutes is None:
        return None
    sign = -1 if found["dir"] in _EARLIER else 1
    # The span is the amount only: the direction word stays for the grammar.
    start, end = found.end("dir"), found.end()
    return Shift(sign * minutes, _index(words, start), _index(words, end))


def _amount(found: re.Match[str]) -> int | None:
    if found["half"]:
        return 30
    if found["quarter"]:
        return 15
    try:
        count = float(cn2an.cn2an(found["count"], "smart"))
    except ValueError:
        return None
    minutes = count * _MINUTES[found["unit"]]
    if found["unit"] == "个半小时":
        minutes += 30
    return round(minutes) if minutes > 0 else None


def _index(words: Sequence[str], offset: int) -> int:
    """The token at character ``offset`` of the joined words (a token may be "30")."""
    seen = 0
    for i, word in enumerate(words):
        if seen >= offset:
            return i
        seen += len(word)
    return len(words)
