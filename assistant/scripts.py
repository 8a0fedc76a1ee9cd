"""Writing systems: telling Chinese characters from the rest (speech in and out, locales).

The one definition of "a Chinese character" in DriveTalk: CJK unified
ideographs with extension A, extensions B-F and the compatibility block.
"""

from __future__ import annotations

import re

#: A regular-expression character class matching one Chinese character.
HAN_CLASS = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]"
_HAN = re.compile(HAN_CLASS)


def is_han(char: str) -> bool:
    """Whether ``char`` is a Chinese character."""
    return bool(_HAN.fullmatch(char))


def has_han(text: str) -> bool:
    """Whether ``text`` holds any Chinese character."""
    return _HAN.search(text) is not None
