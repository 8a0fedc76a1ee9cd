"""Sound keys for names: spelling rules for English ears, then metaphone;
readings of names written in Chinese characters (pypinyin).

``phonetics.yaml`` rewrites pinyin spellings the way an English recogniser
would write what it heard ("zhang" -> "jang", "xiao" -> "shiao"), then
jellyfish's metaphone collapses the rest (vowels, doubled letters). Keys are
cached per word: a 100,000-person directory has far fewer distinct words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import jellyfish
from pypinyin import lazy_pinyin
from pypinyin.contrib.tone_convert import to_normal
from pypinyin.phrases_dict import phrases_dict
from pypinyin.pinyin_dict import pinyin_dict

_VOWEL_GROUP = re.compile(r"[aeiouy]+")


class SoundKeys:
    """Computes per-word phonetic keys with a locale's spelling rules."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._rules = tuple((re.compile(p), r) for p, r in data["rules"])
        self.word_key = lru_cache(maxsize=200_000)(self._word_key)

    def _word_key(self, word: str) -> str:
        spelled = word
        for pattern, replacement in self._rules:
            spelled = pattern.sub(replacement, spelled)
        if not spelled.isalpha():
            return spelled
        # Metaphone drops vowels, but pinyin syllables differ mostly by their
        # vowels (xue / chao / xiao): keep the vowel groups as a suffix.
        vowels = "".join(_VOWEL_GROUP.findall(spelled)) or "-"
        return (jellyfish.metaphone(spelled) or spelled).upper() + vowels

    def name_key(self, words: Sequence[str]) -> str:
        """The key of a whole name: its word keys joined by spaces."""
        return " ".join(self.word_key(w) for w in words)


# -- Chinese names --------------------------------------------------------

_HAN_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN = re.compile(f"[{_HAN_RANGES}]")
_ONLY_HAN = re.compile(f"[{_HAN_RANGES}]+")
#: A name in characters may carry spaces and the middle dot of 阿里·木合塔尔.
_HAN_NAME = re.compile(f"[ \u00b7\u30fb]*[{_HAN_RANGES}][ \u00b7\u30fb{_HAN_RANGES}]*")
#: Letters of glued pinyin beyond which a word is not a name (zhuangshuangshuang: 18).
MAX_GLUED = 30
_HAN_SPACE = re.compile(f"(?<=[{_HAN_RANGES}])\\s+(?=[{_HAN_RANGES}])")
_TONE_DIGIT = re.compile(r"(?<=[a-z])[1-5]")
#: pypinyin's readings carry ü as "v"; names are matched the way they are
#: typed and heard, where lü/lu and nü/nu are the same word.
_U_UMLAUT = str.maketrans({"v": "u", "ü": "u"})


def has_han(text: str) -> bool:
    """Whether ``text`` holds any Chinese character."""
    return _HAN.search(text) is not None


def han_only(text: str) -> str:
    """The Chinese characters of ``text`` in order ("李 娜" -> "李娜")."""
    return text if _ONLY_HAN.fullmatch(text) else "".join(_HAN.findall(text))


def join_han(text: str) -> str:
    """Spaces between Chinese characters removed, as a tokenizer may have put them ("李 娜")."""
    return _HAN_SPACE.sub("", text)


def is_han_name(text: str) -> bool:
    """Whether a name is written wholly in Chinese characters (spaces and · aside)."""
    return _HAN_NAME.fullmatch(text) is not None


def _syllable_inventory() -> frozenset[str]:
    """Every toneless syllable pypinyin knows (ü written u), vowel-less interjections aside."""
    marked = {reading for readings in set(pinyin_dict.values()) for reading in readings.split(",")}
    plain = {to_normal(reading).translate(_U_UMLAUT) for reading in marked}
    return frozenset(
        p for p in plain if p.isascii() and p.isalpha() and any(v in p for v in "aeiou")
    )


class Pinyin:
    """Readings of Chinese names (pypinyin) and toneless pinyin syllables."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.syllables = _syllable_inventory()
        self._longest = max(len(s) for s in self.syllables)
        self._surnames = self._checked_surnames(data.get("surname_readings") or {})
        self._initials = sorted(
            {i for pair in data.get("confusable_initials", ()) for i in pair}
            | {"b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x"}
            | {"zh", "ch", "sh", "r", "z", "c", "s", "y", "w"},
            key=len,
            reverse=True,
        )
        self._close_initials = {frozenset(p) for p in data.get("confusable_initials", ())}
        self._close_finals = {frozenset(p) for p in data.get("confusable_finals", ())}
        self.char_readings = lru_cache(maxsize=50_000)(self._char_readings)
        self._char_readings = self.char_readings  # type: ignore[method-assign]
        self._reading = lru_cache(maxsize=200_000)(self._read)
        self._first: dict[str, str] = {}  # each character's common reading
        self.split = lru_cache(maxsize=200_000)(self._split)

    def _checked_surnames(self, table: Mapping[str, str]) -> dict[str, str]:
        from assistant.errors import ConfigError

        checked: dict[str, str] = {}
        for char, reading in table.items():
            known = self._char_readings(str(char))
            if str(reading) not in known:
                raise ConfigError(
                    f"surname reading {reading!r} of {char!r} is not one of pypinyin's {known}"
                )
            checked[str(char)] = str(reading)
        return checked

    @staticmethod
    def _char_readings(char: str) -> tuple[str, ...]:
        """pypinyin's toneless readings of one character, the most common first."""
        raw = pinyin_dict.get(ord(char))
        if raw is None:
            return ()
        found: list[str] = []
        for reading in raw.split(","):
            plain = to_normal(reading).translate(_U_UMLAUT)
            if plain not in found:
                found.append(plain)
        return tuple(found)

    def readings(self, name: str) -> tuple[tuple[str, ...], ...]:
        """The ways a name in characters is read, the likeliest first.

        The name is read as pypinyin reads it (its phrase data knows 欧阳
        and many given names). A surname read otherwise (曾 zeng, 单 shan)
        comes first in its surname reading, then in pypinyin's reading, so
        "ceng xiao ming" still finds 曾小明; the other readings pypinyin has
        for a character (白 bo, 夏 jia) are not how anyone says a name.
        """
        chars = han_only(name)
        main = self._reading(chars) if chars else ()
        if not main:
            return ()
        surname = self._surnames.get(chars[0])
        if surname is None or len(main) != len(chars) or surname == main[0]:
            return (main,)
        return ((surname, *main[1:]), main)

    def _read(self, chars: str) -> tuple[str, ...]:
        """pypinyin's reading of ``chars``: by its phrase data where a phrase is
        in the name, else each character's most common reading (what pypinyin
        itself does then, without its segmentation's cost: a directory of
        100,000 names is read in well under a second)."""
        size = len(chars)
        for start in range(size - 1):
            for end in range(start + 2, size + 1):
                if chars[start:end] in phrases_dict:
                    read = lazy_pinyin(chars, errors="ignore", v_to_u=False)
                    return tuple(p.translate(_U_UMLAUT) for p in read)
        first = self._first
        found = []
        for char in chars:
            reading = first.get(char)
            if reading is None:
                known = self.char_readings(char)
                reading = first[char] = known[0] if known else ""
            if reading:
                found.append(reading)
        return tuple(found)

    def strip_tones(self, word: str) -> str:
        """Pinyin as typed, plain: "li3" -> "li", "li3na4" -> "lina", "lv" -> "lu".

        Tone numbers after pinyin letters are dropped, and ü typed as v is u
        (as everywhere here); a word that is not pinyin then stays as it is.
        """
        if "v" not in word and not any(ch.isdigit() for ch in word):
            return word
        plain = _TONE_DIGIT.sub("", word).replace("v", "u")
        return plain if plain.isalpha() and self.split(plain) else word

    def _split(self, word: str) -> tuple[str, ...]:
        """A word of glued pinyin as syllables ("lina" -> li na); () if it is not pinyin.

        Only the first syllable may start with a vowel (pinyin writes an
        apostrophe before any other: xi'an), so "lina" is li-na, not lin-a,
        and "lee" is not pinyin; of the cuts left, the fewest syllables.
        """
        if not word.isascii() or not word.isalpha() or len(word) > MAX_GLUED:
            return ()
        best: list[tuple[int, tuple[str, ...]] | None] = [None] * (len(word) + 1)
        best[0] = (0, ())
        for start in range(len(word)):
            known = best[start]
            if known is None:
                continue
            for end in range(start + 1, min(len(word), start + self._longest) + 1):
                piece = word[start:end]
                if piece not in self.syllables or (start and piece[0] in "aeiou"):
                    continue
                cost = known[0] + 1
                current = best[end]
                if current is None or cost < current[0]:
                    best[end] = (cost, (*known[1], piece))
        done = best[len(word)]
        return done[1] if done else ()

    def syllables_of(self, words: Sequence[str]) -> tuple[str, ...]:
        """The syllables of a name in pinyin words; () unless every word is pinyin."""
        found: list[str] = []
        for word in words:
            pieces = self.split(word)
            if not pieces:
                return ()
            found.extend(pieces)
        return tuple(found)

    def parts(self, syllable: str) -> tuple[str, str]:
        """A syllable's initial and final ("zhang" -> zh, ang; "ai" -> "", ai)."""
        for initial in self._initials:
            if syllable.startswith(initial) and len(syllable) > len(initial):
                return initial, syllable[len(initial) :]
        return "", syllable

    def near(self, one: str, other: str) -> bool:
        """Whether two syllables sound the same or nearly (one confusable sound apart)."""
        if one == other:
            return True
        (i1, f1), (i2, f2) = self.parts(one), self.parts(other)
        if i1 == i2:
            return frozenset((f1, f2)) in self._close_finals
        if frozenset((i1, i2)) not in self._close_initials:
            return False
        # x/sh, q/ch, j/zh: the glide is heard with the initial (xiao / shao).
        return f1 == f2 or f1 == "i" + f2 or f2 == "i" + f1
