"""Writing systems: telling Chinese characters from the rest (used by speech in and out)."""

from __future__ import annotations

import re

#: CJK unified ideographs (with extension A and the compatibility block).
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def is_han(char: str) -> bool:
    """Whether ``char`` is a Chinese character."""
    return bool(_HAN.fullmatch(char))


def has_han(text: str) -> bool:
    """Whether ``text`` holds any Chinese character."""
    return _HAN.search(text) is not None
