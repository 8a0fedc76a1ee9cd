"""A last-resort spelling-to-phones guess for words the dictionary lacks.

Names from a directory are often missing from CMUdict ("xiaoming",
"brown's" is there, "zhangs" is not). Longest-match letter rules give
an ARPAbet pronunciation good enough for the recognizer to have *some*
path to the word; words it cannot spell out (digits, symbols) get None
and are dropped by the caller, which counts them.
"""

from __future__ import annotations

import re

#: Letter groups, longest first within each start letter (ARPAbet phones).
_RULES: dict[str, str] = {
    "tch": "CH",
    "sch": "SH",
    "ough": "AO",
    "eau": "OW",
    "ang": "AA NG",
    "eng": "AH NG",
    "ing": "IH NG",
    "ong": "AO NG",
    "iao": "Y AW",
    "zh": "JH",
    "ao": "AW",
    "ch": "CH",
    "sh": "SH",
    "th": "TH",
    "ph": "F",
    "ck": "K",
    "ng": "NG",
    "qu": "K W",
    "wh": "W",
    "ee": "IY",
    "ea": "IY",
    "oo": "UW",
    "ou": "AW",
    "ow": "OW",
    "ai": "AY",
    "ay": "EY",
    "ei": "EY",
    "ey": "EY",
    "oa": "OW",
    "oi": "OY",
    "oy": "OY",
    "au": "AO",
    "aw": "AO",
    "ie": "IY",
    "ue": "UW",
    "ui": "W IY",
    "ia": "IY AA",
    "io": "IY OW",
    "a": "AE",
    "b": "B",
    "c": "K",
    "d": "D",
    "e": "EH",
    "f": "F",
    "g": "G",
    "h": "HH",
    "i": "IH",
    "j": "JH",
    "k": "K",
    "l": "L",
    "m": "M",
    "n": "N",
    "o": "AA",
    "p": "P",
    "q": "CH",
    "r": "R",
    "s": "S",
    "t": "T",
    "u": "UW",
    "v": "V",
    "w": "W",
    "x": "SH",
    "y": "Y",
    "z": "Z",
}
_LONGEST = max(len(k) for k in _RULES)
#: Identifies the rules (part of a generated model's cache key).
RULES_ID = repr(sorted(_RULES.items()))
_SPELLABLE = re.compile(r"[a-z]+(?:'[a-z]+)?")


def guess_phones(word: str) -> str | None:
    """ARPAbet phones for ``word`` by letter rules, or None if it has other characters."""
    word = word.lower()
    if not _SPELLABLE.fullmatch(word):
        return None
    letters = word.replace("'", "")
    phones: list[str] = []
    i = 0
    while i < len(letters):
        for size in range(min(_LONGEST, len(letters) - i), 0, -1):
            piece = _RULES.get(letters[i : i + size])
            if piece is not None:
                if not (phones and phones[-1] == piece):  # "ll", "ss": one sound
                    phones.append(piece)
                i += size
                break
    return " ".join(phones)
