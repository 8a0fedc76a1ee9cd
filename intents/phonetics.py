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

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_TONE_DIGIT = re.compile(r"(?<=[a-z])[1-5]")
#: pypinyin's readings carry ü as "v"; names are matched the way they are
#: typed and heard, where lü/lu and nü/nu are the same word.
_U_UMLAUT = str.maketrans({"v": "u", "ü": "u"})


def has_han(text: str) -> bool:
    """Whether ``text`` holds any Chinese character."""
    return _HAN.search(text) is not None


def han_only(text: str) -> str:
    """The Chinese characters of ``text`` in order ("李 娜" -> "李娜")."""
    return "".join(_HAN.findall(text))


def is_han_name(text: str) -> bool:
    """Whether a name is written wholly in Chinese characters (spaces and · aside)."""
    rest = "".join(ch for ch in text if ch not in " \u00b7\u30fb")
    return bool(rest) and _HAN.sub("", rest) == ""


def _syllable_inventory() -> frozenset[str]:
    """Every toneless syllable pypinyin knows (ü written u), vowel-less interjections aside."""
    found: set[str] = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            plain = to_normal(reading).translate(_U_UMLAUT)
            if plain.isascii() and plain.isalpha() and any(v in plain for v in "aeiou"):
                found.add(plain)
    return frozenset(found)


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

        The rest of the name is read as pypinyin reads it (its phrase data
        knows 欧阳 and many given names); the surname in every reading
        pypinyin has for the character, the surname reading first.
        """
        chars = han_only(name)
        if not chars:
            return ()
        main = tuple(
            p.translate(_U_UMLAUT) for p in lazy_pinyin(chars, errors="ignore", v_to_u=False)
        )
        if len(main) != len(chars):
            return (main,) if main else ()
        first = chars[0]
        options = list(self._char_readings(first))
        preferred = self._surnames.get(first)
        if preferred:
            options.remove(preferred)
            options.insert(0, preferred)
        elif main[0] in options:
            options.remove(main[0])
            options.insert(0, main[0])
        found = [(option, *main[1:]) for option in options[:4]] or [main]
        return tuple(dict.fromkeys(found))

    def strip_tones(self, word: str) -> str:
        """ "li3" -> "li", "li3na4" -> "lina": tone numbers after pinyin letters dropped."""
        if not any(ch.isdigit() for ch in word) or not word[:1].isalpha():
            return word
        plain = _TONE_DIGIT.sub("", word)
        return plain if plain.isalpha() and self.split(plain) else word

    def _split(self, word: str) -> tuple[str, ...]:
        """A word of glued pinyin as syllables ("lina" -> li na); () if it is not pinyin.

        Only the first syllable may start with a vowel (pinyin writes an
        apostrophe before any other: xi'an), so "lina" is li-na, not lin-a,
        and "lee" is not pinyin; of the cuts left, the fewest syllables.
        """
        if not word.isascii() or not word.isalpha():
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

    def _parts(self, syllable: str) -> tuple[str, str]:
        for initial in self._initials:
            if syllable.startswith(initial) and len(syllable) > len(initial):
                return initial, syllable[len(initial) :]
        return "", syllable

    def near(self, one: str, other: str) -> bool:
        """Whether two syllables sound the same or nearly (one confusable sound apart)."""
        if one == other:
            return True
        (i1, f1), (i2, f2) = self._parts(one), self._parts(other)
        if f1 == f2:
            return frozenset((i1, i2)) in self._close_initials
        return i1 == i2 and frozenset((f1, f2)) in self._close_finals
