"""How pinyin names are said, as ARPAbet pronunciations for the recogniser's dictionary.

CMUdict has some pinyin syllables, read as English words ("xu" Z UW, "qin"
K IH N), and lacks most glued given names ("weiming", "ruitao"), which the
letter rules of :mod:`assistant.asr.g2p` then read with Mandarin-like
consonants (x SH, q CH). A driver using the English locale says a
colleague's name one of two ways: as an English reader of the spelling
(x as in "xerox", q as in "queen", "xiaoming" zee-ow-ming) or close to
Mandarin (x as "sh", q as "ch", "ui" as "way"). A pinyin name word gets both
readings, syllable by syllable, besides any CMUdict entries, so the
recogniser has a path for either (the dictionary takes several
pronunciations per word).
"""

from __future__ import annotations

from functools import cache

#: Mandarin-like initials (ARPAbet): what a speaker close to Mandarin says.
_INITIALS = {
    "zh": "JH",
    "ch": "CH",
    "sh": "SH",
    "b": "B",
    "p": "P",
    "m": "M",
    "f": "F",
    "d": "D",
    "t": "T",
    "n": "N",
    "l": "L",
    "g": "G",
    "k": "K",
    "h": "HH",
    "j": "JH",
    "q": "CH",
    "x": "SH",
    "r": "R",
    "z": "Z",
    "c": "T S",
    "s": "S",
    "y": "Y",
    "w": "W",
}
#: Where an English reader of the spelling differs from the above.
_ENGLISH_INITIALS = {"x": "Z", "q": "K", "c": "K", "zh": "Z"}
#: Mandarin-like finals.
_FINALS = {
    "a": "AA",
    "o": "AO",
    "e": "AH",
    "i": "IY",
    "u": "UW",
    "ai": "AY",
    "ei": "EY",
    "ao": "AW",
    "ou": "OW",
    "an": "AA N",
    "en": "AH N",
    "ang": "AA NG",
    "eng": "AH NG",
    "ong": "UH NG",
    "er": "ER",
    "ia": "Y AA",
    "ie": "Y EH",
    "iao": "Y AW",
    "iu": "Y OW",
    "ian": "Y EH N",
    "in": "IH N",
    "iang": "Y AA NG",
    "ing": "IH NG",
    "iong": "Y UH NG",
    "ua": "W AA",
    "uo": "W AO",
    "uai": "W AY",
    "ui": "W EY",
    "uan": "W AA N",
    "un": "W AH N",
    "uang": "W AA NG",
    "ue": "Y EH",
}
#: After j, q, x and y, u is ü: "xu" is close to "shü", "quan" to "chüen".
_U_UMLAUT_FINALS = {"u": "UW", "uan": "W EH N", "un": "IH N", "ue": "W EH"}
#: After zh, ch, sh, r, z, c, s the "i" is no "ee" ("shi" is close to "shir").
_BUZZED_I = {"zh", "ch", "sh", "r", "z", "c", "s"}
#: An English reader's finals where they differ from the above.
_ENGLISH_FINALS = {
    "o": "OW",
    "e": "EH",
    "ong": "AO NG",
    "ie": "IY EH",
    "iu": "IY UW",
    "ian": "IY AE N",
    "ui": "UW IY",
    "uo": "UW OW",
    "un": "AH N",
    "ue": "UW EH",
    "ang": "AE NG",
    "an": "AE N",
}
_BY_LENGTH = sorted(_INITIALS, key=len, reverse=True)
#: Identifies the tables (part of a generated model's cache key).
TABLES_ID = repr(
    [sorted(t.items()) for t in (_INITIALS, _ENGLISH_INITIALS, _FINALS, _ENGLISH_FINALS)]
    + [sorted(_U_UMLAUT_FINALS.items()), sorted(_BUZZED_I)]
)


def pinyin_pronunciations(word: str) -> list[str]:
    """The Mandarin-like and English readings of a pinyin word (glued
    syllables too: "weiming"), or none when ``word`` is not pinyin."""
    syllables = split_pinyin(word.lower())
    if not syllables:
        return []
    readings = []
    for english in (False, True):
        phones = " ".join(_syllable(s, english=english) for s in syllables)
        if phones not in readings:
            readings.append(phones)
    return readings


def _syllable(syllable: str, *, english: bool) -> str:
    initial = next((i for i in _BY_LENGTH if syllable.startswith(i) and syllable != i), "")
    final = syllable[len(initial) :]
    phones = _ENGLISH_INITIALS.get(initial) if english else None
    start = phones or _INITIALS.get(initial, "")
    if english and final in _ENGLISH_FINALS:
        rest = _ENGLISH_FINALS[final]
    elif not english and initial in ("j", "q", "x", "y") and final in _U_UMLAUT_FINALS:
        rest = _U_UMLAUT_FINALS[final]
    elif not english and initial in _BUZZED_I and final == "i":
        rest = "ER"
    else:
        rest = _FINALS[final]
    if not english and initial == "y" and final in ("e", "an"):
        rest = _FINALS["i" + final]  # "ye", "yan" rhyme with "jie", "jian"
    if start == "Y" and rest.startswith("Y "):
        rest = rest[2:]  # "ye", "yan": one glide
    if start == "W" and rest.startswith("W "):
        rest = rest[2:]
    return f"{start} {rest}".strip()


def split_pinyin(word: str) -> tuple[str, ...]:
    """``word`` as pinyin syllables, fewest first ("weiming" wei ming);
    () unless every part is a syllable (only the first may start with a vowel)."""
    if not word.isascii() or not word.isalpha() or len(word) > 24:
        return ()
    syllables = _syllables()
    best: list[tuple[str, ...] | None] = [None] * (len(word) + 1)
    best[0] = ()
    for start in range(len(word)):
        known = best[start]
        if known is None:
            continue
        for end in range(start + 1, min(len(word), start + 6) + 1):
            piece = word[start:end]
            if piece not in syllables or (start and piece[0] in "aeiou"):
                continue
            current = best[end]
            if current is None or len(known) + 1 < len(current):
                best[end] = (*known, piece)
    return best[len(word)] or ()


@cache
def _syllables() -> frozenset[str]:
    """Toneless pinyin syllables (pypinyin's, ü written u) that the tables read."""
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    marked = {r for readings in set(pinyin_dict.values()) for r in readings.split(",")}
    plain = {to_normal(r).replace("ü", "u").replace("v", "u") for r in marked}
    return frozenset(p for p in plain if p.isascii() and p.isalpha() and _readable(p))


def _readable(syllable: str) -> bool:
    initial = next((i for i in _BY_LENGTH if syllable.startswith(i) and syllable != i), "")
    return syllable[len(initial) :] in _FINALS
