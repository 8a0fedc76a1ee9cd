"""The directory index: resolve a heard name to ranked contacts.

Built once per directory. Every contact is indexed under a few *variants*
(full name, aliases, the two words of a two-word name reversed, and each
word alone for people). Variants are stored once per distinct spelling with
their sound key (:mod:`intents.phonetics`), and blocked by the sound keys of
their words. A lookup takes the exact hits, then the block of variants
sharing a (nearly) same-sounding word with the query, and scores only that
block in C with ``rapidfuzz.process.cdist`` -- spelling and sound mixed --
so it never walks the whole directory: a 100,000-person lookup stays around
a millisecond.

Names written in Chinese characters (a name or an alias: 李伟) are indexed
twice: by their characters, and by their readings (pypinyin, surname
readings first) as pinyin variants of the same Latin index, so "li wei"
typed or heard in English finds 李伟. A query in characters is matched
exactly, then by its own reading: a recogniser writes 李威 for 李伟, and
everyone sharing that sound (李薇, Lee Way) is a candidate the dialog must ask
about, ranked below an exact character match. A query in pinyin must match a
Chinese name syllable by syllable (or by a confusable sound): "zhang san" is
not Wang Fang.

Pinyin as an English recogniser writes it ("jung rwaytao") is first read back
(:mod:`intents.heard_pinyin`) and looked up exactly by its letters run
together; when that finds one person clear of every other, the fuzzy scoring
is skipped. The index keeps its bulk compact (:mod:`intents.index_columns`)
so that a persisted one loads quickly (:mod:`intents.index_cache`).
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cache, lru_cache
from typing import Any, TypeVar

import numpy as np
from rapidfuzz import fuzz, process

from assistant.models import Contact
from intents.grammar import GRAMMAR_ROOT, load_yaml
from intents.han_names import HanQualifiers
from intents.heard_pinyin import HeardPinyin
from intents.index_columns import ContactColumns, Owners, collector_paused
from intents.phonetics import Pinyin, SoundKeys, han_only, has_han, is_han_name, join_han
from intents.result import ContactCandidate, ContactResolution
from intents.text import fold, name_words, tokenize

_QUALIFIER_WORDS = frozenset(("from", "in", "of", "at", "on"))
_QUALIFIER_NOISE = frozenset(("the", "department", "dept", "team", "office", "group"))
#: Scores below this are not candidates at all.
MIN_SCORE = 0.62
#: In a large directory a best candidate scoring less than this is only a
#: guess, and the dialog asks: among 100,000 people "jeeang longleee" is as
#: likely someone whose name the index cannot bring close (Jiang Longlei) as
#: the nearest (Jiang Longjie). In a small one the nearest name is the one
#: meant ("show ming" is Xiao Ming). Measured: benchmarks/names_misheard.py.
SURE, SURE_FROM = 0.8, 5000
#: ... and a pinyin name it reaches only by fuzzy scoring (its letters near
#: the words heard, not read back from them) must score this much: in a
#: dense directory a vowel heard as another makes a near name that is
#: someone else ("cao boging" for Cao Bogang: Cao Bojing, 0.93 by letters).
#: Measured: benchmarks/names_misheard.py --slips 1.
PINYIN_SURE = 0.93
#: ... and one read back from them this much ("peng boshen" read given name
#: first is Shen Pengbo, 0.88: a guess when Peng Boshan may have been meant).
DECODED_SURE = 0.9
#: Top candidates closer than this are ambiguous: the dialog must ask.
AMBIGUITY_MARGIN = 0.06
#: Weights of the variant kinds: a nickname or one word of the name is a
#: slightly weaker match than the full name.
FULL, ALIAS, REVERSED, PARTIAL = 1.0, 0.98, 0.97, 0.9
#: A variant spelled differently but with the same sound key scores this.
SAME_SOUND = 0.93
MAX_CANDIDATES = 5
#: Contacts gathered before the scan of ranked variants may stop.
ENOUGH = 4 * MAX_CANDIDATES
#: Contacts taken from one spelling (thousands may share "Li Wei": all tie).
MAX_OWNERS = 50
#: Variants scored per lookup at most (a block larger than this is cut).
MAX_POOL = 2000
#: A name in characters read as pinyin is a variant this strong (its other
#: surname readings a little less): "li wei" finds 李伟. (Distinct from
#: REVERSED: a reading from characters never matches a reversed name.)
READING, OTHER_READING = 0.965, 0.95
#: Characters in a query beyond which it is not a name (销售部的那个欧阳娜娜 has 10).
MAX_HAN_NAME = 16
#: A surname alone (李总, 老王) is a weaker match still.
SURNAME = 0.85
#: A query in characters matching a contact by sound only (its reading, not
#: its characters) scores the sound match times this: always below the
#: exact characters.
HEARD = 0.93
#: Per character shared in its place with a query in characters (ranks
#: homophones; too little to change who is asked about).
OVERLAP = 0.002
#: A pinyin query matches a name that is not pinyin only this closely or closer.
FOREIGN_SOUND = 0.8
#: A name reached by reading English-spelled pinyin back (intents/heard_pinyin.py)
#: scores this when no syllable was respelled, and DECODED_SLOPE less per unit of
#: weight lost to respellings (one respelled part: 0.96 -> 0.02 less).
DECODED_TOP, DECODED_SLOPE = 0.98, 0.5
#: Read back, the words' boundaries are lost: "xue hua peng" is Xue Huapeng as
#: written, or Peng Xuehua's name said given name first (REVERSED), the less likely.
DECODED_REVERSED = 0.9
#: Words whose nearest directory words are remembered, per index.
NEAR_CACHE = 20_000
#: The suffix of a block's key by the number of words of its names.
_SIZES = {1: "/1", 2: "/2", 3: "/3"}
_TONED = re.compile(r"[v\d]")
_T = TypeVar("_T")


@cache
def hanzi_data() -> Mapping[str, Any]:
    """How names in Chinese characters are read and qualified (zh/phonetics.yaml)."""
    data: Mapping[str, Any] = load_yaml(GRAMMAR_ROOT / "zh" / "phonetics.yaml")["hanzi"]
    return data


@cache
def pinyin_reader() -> Pinyin:
    """The one pinyin reader (its caches are shared by every index)."""
    return Pinyin(hanzi_data())


def heard_pinyin(phonetics: Mapping[str, Any]) -> HeardPinyin | None:
    """The reader of English-spelled pinyin of a locale's phonetics (None without one)."""
    data = phonetics.get("heard_pinyin")
    if not data:
        return None
    reader = pinyin_reader()
    return HeardPinyin(data, reader.syllables, reader.parts)


class _Tables:
    """The look-up tables of an index while it is built (lists, appended to)."""

    __slots__ = ("block", "by_key", "glued_texts", "han")

    def __init__(self) -> None:
        self.glued_texts: dict[str, Any] = {}
        self.by_key: dict[str, Any] = {}
        self.block: defaultdict[str, list[int]] = defaultdict(list)
        self.han: defaultdict[str, list[tuple[int, float]]] = defaultdict(list)


def _packed(table: Mapping[str, list[_T]]) -> dict[str, tuple[_T, ...]]:
    return {key: tuple(values) for key, values in table.items()}


def _put(table: dict[str, Any], key: str, text_id: int) -> None:
    """File ``text_id`` under ``key``: a bare id while it is the only one.

    In a directory of distinct names almost every key has one id; 300,000
    one-id lists (then tuples) were a sixth of a cold build and of the cache.
    """
    found = table.setdefault(key, text_id)
    if found != text_id:
        if isinstance(found, int):
            table[key] = [found, text_id]
        else:
            found.append(text_id)


def _frozen(table: dict[str, Any]) -> dict[str, int | tuple[int, ...]]:
    """The table of :func:`_put` with its few lists made tuples (no lists to collect)."""
    for key, found in table.items():
        if not isinstance(found, int):
            table[key] = tuple(found)
    return table


def _ids(table: Mapping[str, int | tuple[int, ...]], key: str) -> tuple[int, ...]:
    """The ids filed under ``key`` (see :func:`_put`)."""
    found = table.get(key)
    if found is None:
        return ()
    return (found,) if isinstance(found, int) else found


class ContactIndex:
    """Ranked, phonetic, qualifier-aware lookup of people and group chats."""

    def __init__(self, contacts: Iterable[Contact], phonetics: Mapping[str, Any]) -> None:
        with collector_paused():
            self._build(contacts, phonetics)
        self._han_qualifiers = HanQualifiers(hanzi_data(), self.departments)
        self.heard = heard_pinyin(phonetics)
        self._near = lru_cache(maxsize=NEAR_CACHE)(self._near_keys)

    def _build(self, contacts: Iterable[Contact], phonetics: Mapping[str, Any]) -> None:
        listed = list(contacts)
        self.contacts: ContactColumns = ContactColumns.of(listed)
        self._phonetics = phonetics
        self.sounds = SoundKeys(phonetics)
        self._group_words = frozenset(phonetics["group_words"])
        self._fillers = frozenset(phonetics["name_fillers"])
        self._texts: list[str] = []
        self._keys: list[str] = []
        self._owners = Owners()
        self._own_variant, self._own_contact, self._own_weight = self._owners.building()
        self._text_id: dict[str, int] = {}
        self._building = _Tables()
        self.pinyin = pinyin_reader()
        self._syllables: dict[int, tuple[str, ...]] = {}
        self._compound_surnames = frozenset(hanzi_data().get("compound_surnames") or ())
        for index, contact in enumerate(listed):
            self._add(index, contact)
        self._owners.freeze(len(self._texts))
        del self._own_variant, self._own_contact, self._own_weight
        # Plain dicts of tuples from here on: looked up only, pickled several
        # times faster than defaultdicts of lists, and tuples of numbers are
        # no work for the garbage collector (150,000 lists would be walked by
        # every full collection, in the middle of some parse).
        built = self._building
        del self._building
        #: Text ids of the names of several words, by their letters run together.
        self._glued_texts = _frozen(built.glued_texts)
        self._by_key = _frozen(built.by_key)
        # Blocks as sets at once: made on first use, a large one cost that
        # look-up a millisecond (the slowest parses were first looks at a block).
        self._block = {key: frozenset(ids) for key, ids in built.block.items()}
        self._han = _packed(built.han)
        self._word_keys = sorted({k.rpartition("/")[0] for k in self._block})
        # Each distinct department folded once (a few, for 100,000 people).
        self.departments: frozenset[str] = frozenset(
            fold(department) for department in {c.department for c in listed} if department
        )

    def __len__(self) -> int:
        return len(self.contacts)

    def __getstate__(self) -> dict[str, Any]:
        """What a persisted index keeps (intents/index_cache.py): all but the
        shared readers, which are rebuilt from their data on load."""
        state = dict(self.__dict__)
        for rebuilt in (
            "sounds",
            "pinyin",
            "heard",
            "_near",
            "_han_qualifiers",
            "_syllables",
        ):
            state.pop(rebuilt, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        phonetics = self._phonetics
        self.sounds = SoundKeys(phonetics)
        self.pinyin = pinyin_reader()
        self._syllables = {}
        self._han_qualifiers = HanQualifiers(hanzi_data(), self.departments)
        self.heard = heard_pinyin(phonetics)
        self._near = lru_cache(maxsize=NEAR_CACHE)(self._near_keys)

    def _add(self, index: int, contact: Contact) -> None:
        # Inline checks: this runs for each of 100,000 contacts within the build budget.
        name = contact.name
        if not name.isascii() and has_han(name):
            self._add_han(index, contact, name, FULL)
            words: tuple[str, ...] = ()
        else:
            words = name_words(name) if _TONED.search(name) is None else self._plain(name)
            self._variant(index, words, FULL)
            if len(words) == 2:
                self._variant(index, (words[1], words[0]), REVERSED)
        for alias in contact.aliases:
            if not alias.isascii() and has_han(alias):
                self._add_han(index, contact, alias, ALIAS)
            else:  # a pinyin alias may carry tone numbers: "li3 wei3"
                self._variant(index, self._plain(alias), ALIAS)
        if len(words) > 1 and contact.kind == "person":
            for word in words:
                known = self._text_id.get(word)  # most name words are shared
                if known is None:
                    self._variant(index, (word,), PARTIAL)
                else:
                    self._own_variant.append(known)
                    self._own_contact.append(index)
                    self._own_weight.append(PARTIAL)

    def _plain(self, name: str) -> tuple[str, ...]:
        """The words of a Latin name, pinyin tone numbers dropped and v read ü (lv -> lu)."""
        words = name_words(name)
        if _TONED.search(name) is None:
            return words  # almost every name: one C call keeps the build fast
        return tuple(self.pinyin.strip_tones(w) for w in words)

    def _add_han(self, index: int, contact: Contact, text: str, weight: float) -> None:
        """A name in characters: exactly, its given name alone, and its readings."""
        whole = is_han_name(text)
        chars = han_only(text)
        self._building.han[chars].append((index, weight))
        if whole and contact.kind == "person" and len(chars) > 1:
            surname = 2 if chars[:2] in self._compound_surnames else 1
            if len(chars) - surname >= 2:
                self._building.han[chars[surname:]].append((index, PARTIAL))  # 大卫 for 张大卫
            self._building.han[chars[:surname]].append((index, SURNAME))  # 李总, 老王
        for number, reading in enumerate(self.pinyin.readings(chars)):
            self._variant(index, reading, weight * (READING if number == 0 else OTHER_READING))
        latin = () if whole else tuple(w for w in name_words(text) if not has_han(w))
        if latin:  # "David 张": the Latin part is a name too
            self._variant(index, latin, weight * ALIAS)

    def _variant(self, index: int, words: tuple[str, ...], weight: float) -> None:
        if not words:
            return
        text = " ".join(words)
        text_id = self._text_id.get(text)
        if text_id is None:
            text_id = self._new_variant(text, words)
        self._own_variant.append(text_id)
        self._own_contact.append(index)
        self._own_weight.append(weight)

    def _new_variant(self, text: str, words: tuple[str, ...]) -> int:
        text_id = len(self._texts)
        word_key = self.sounds.word_key
        # Each word's key once, for the name's key and its blocks (150,000
        # new variants in a 100,000-person build: every lookup here counts).
        word_keys = [word_key(word) for word in words]
        key = " ".join(word_keys)
        self._text_id[text] = text_id
        self._texts.append(text)
        self._keys.append(key)
        tables = self._building
        _put(tables.by_key, key, text_id)
        if len(words) > 1:
            _put(tables.glued_texts, "".join(words), text_id)
        size = _SIZES[min(len(words), 3)]
        block = tables.block
        for found in set(word_keys):
            block[found + size].append(text_id)
        return text_id

    # -- lookup -----------------------------------------------------------

    def resolve(self, query: str, qualifier: str | None = None) -> ContactResolution:
        """Rank the contacts that ``query`` (a heard name) may mean.

        Without an explicit ``qualifier``, one spoken inside the query is
        honoured: "li wei from sales", "the finance li wei".
        """
        if has_han(query):
            return replace(self._resolve_han(query, qualifier), query=query)
        if qualifier is not None:
            return self._lookup(query, qualifier)
        text = " ".join(w.removesuffix("'s") for w in fold(query).split())
        whole = self._lookup(text, None)
        name, spoken = self._spoken_qualifier(text)
        if spoken is None:
            return replace(whole, query=query)
        qualified = self._lookup(name, spoken)
        if not qualified.candidates or (
            whole.candidates and whole.candidates[0].score > qualified.candidates[0].score
        ):
            return replace(whole, query=query)  # "sales team" is a group, not "team" in Sales
        return replace(qualified, query=query)

    def _spoken_qualifier(self, text: str) -> tuple[str, str | None]:
        """Split "li wei from sales" / "the finance li wei" into name and qualifier."""
        words = text.split()
        if not self.departments or len(words) < 2:
            return text, None
        for cut in range(1, len(words)):
            if words[cut] in _QUALIFIER_WORDS:
                rest = [w for w in words[cut + 1 :] if w not in _QUALIFIER_NOISE]
                if rest and self._is_department(" ".join(rest)):
                    return " ".join(words[:cut]), " ".join(rest)
        start = 1 if words[0] == "the" else 0
        for size in (1, 2):
            qualifier = " ".join(words[start : start + size])
            if len(words) > start + size and self._is_department(qualifier):
                return " ".join(words[start + size :]), qualifier
        return text, None

    def _is_department(self, words: str) -> bool:
        return any(
            fuzz.ratio(words, d) >= 85 or d.startswith(words + " ") for d in self.departments
        ) or self._han_qualifiers.names_department(words)

    def _lookup(self, query: str, qualifier: str | None) -> ContactResolution:
        words = tokenize(query).words
        if _TONED.search(query) is not None:  # "li3 na4", "lv"
            words = tuple(self.pinyin.strip_tones(w) for w in words)
        words = self._clean(words)
        if not words or not self.contacts:
            return ContactResolution(query=query)
        decoded = self._heard(words)
        if self._decisive(decoded):
            # English-spelled pinyin read back to one name: the fuzzy
            # scoring below could only add weaker look-alikes.
            if qualifier:
                decoded = self._qualify(decoded, self._han_qualifiers.terms(fold(qualifier)))
            return self._rank(query, decoded)
        scores = self._score(words)
        if (
            len(words) == 3
            and (not scores or max(scores.values()) < SAME_SOUND)
            and self._may_be_pinyin(words[1] + words[2])
        ):
            # "dai shia mei": a recogniser splits a given name the directory
            # writes as one word (Dai Xiamei). Not "johnsen perez": an
            # English name glued is no name, and its look-up is the costly one.
            merged = (words[0], words[1] + words[2])
            for index, value in self._score(merged).items():
                scores[index] = max(value, scores.get(index, 0.0))
        syllables = self._glued(words, scores)
        if syllables:  # "lina", "ouyang nana": pinyin written glued
            for index, value in self._score(syllables).items():
                scores[index] = max(value, scores.get(index, 0.0))
        for index, value in decoded.items():
            scores[index] = max(value, scores.get(index, 0.0))
        if qualifier:
            scores = self._qualify(scores, self._han_qualifiers.terms(fold(qualifier)))
        return self._rank(query, scores, guess=self._misread(words, scores, decoded))

    def _misread(
        self, words: tuple[str, ...], scores: dict[int, float], decoded: dict[int, float]
    ) -> bool:
        """Whether the best is a pinyin name the heard pinyin does not read as.

        Among 100,000 people, words that read as pinyin but as nobody's name
        were likely misheard beyond the respelling model ("zhong fung wen"
        for Zheng Fangwen): the nearest pinyin name is a guess, asked about.
        So is a pinyin name only near in letters (under :data:`PINYIN_SURE`).
        """
        if self.heard is None or not scores or len(self.contacts) < SURE_FROM:
            return False
        best = max(scores, key=scores.__getitem__)
        if best in decoded:
            floor = DECODED_SURE  # read back, but only given name first, or respelled twice
        elif not self.heard.readings(words):
            floor = PINYIN_SURE
        else:
            floor = 1.01  # read as pinyin, as nobody's: any name near it is a guess
        if scores[best] >= floor:
            return False
        return bool(self.pinyin.syllables_of(name_words(self.contacts[best].name)))

    def _heard(self, words: tuple[str, ...]) -> dict[int, float]:
        """Contacts whose name the heard words spell as an English ear writes pinyin.

        Each reading (:class:`HeardPinyin`) is looked up exactly by its
        letters, so "jung rwaytao" finds Zhang Ruitao however the words were
        split; the name said exactly as written scores 1.
        """
        if self.heard is None:
            return {}
        readings = self.heard.readings(words)
        if not readings:
            return {}
        said = " ".join(words)
        # A name said exactly as written is what was meant before any name
        # reached by respelling ("lee way" is Lee Way; Li Wei only sounds so).
        exact = self._text_id.get(said)
        ceiling = 1.0 if exact is None else SAME_SOUND
        found: dict[int, float] = {}
        if exact is not None:
            readings = {said.replace(" ", ""): 1.0, **readings}
        for glued, weight in readings.items():
            text_ids = list(_ids(self._glued_texts, glued))
            single = self._text_id.get(glued)
            if single is not None:
                text_ids.append(single)
            for text_id in text_ids:
                if text_id == exact:
                    base = 1.0
                else:
                    base = min(ceiling, DECODED_TOP - DECODED_SLOPE * (1.0 - weight))
                for index, owned in self._owners.of(text_id, MAX_OWNERS):
                    value = base * (DECODED_REVERSED if owned == REVERSED else owned)
                    if value >= MIN_SCORE and value > found.get(index, 0.0):
                        found[index] = value
        # Names an English ear hears the same ("li wei": Lee Way) stay
        # candidates, as in the fuzzy scoring: the dialog names who is who.
        for text_id in _ids(self._by_key, self.sounds.name_key(words)):
            base = 1.0 if text_id == exact else SAME_SOUND
            for index, owned in self._owners.of(text_id, MAX_OWNERS):
                value = base * (DECODED_REVERSED if owned == REVERSED else owned)
                if value >= MIN_SCORE and value > found.get(index, 0.0):
                    found[index] = value
        return found

    def _may_be_pinyin(self, word: str) -> bool:
        """Whether a word may be pinyin as heard (always, without a reader of it)."""
        return self.heard is None or bool(self.heard.word_readings(word))

    def _decisive(self, scores: dict[int, float]) -> bool:
        """Whether one contact stands clear of every other (and is no mere guess)."""
        if not scores:
            return False
        ranked = sorted(scores.values(), reverse=True)
        if ranked[0] < (DECODED_SURE if len(self.contacts) >= SURE_FROM else SURE):
            return False
        return len(ranked) == 1 or ranked[0] - ranked[1] >= AMBIGUITY_MARGIN

    def _glued(self, words: tuple[str, ...], scores: dict[int, float]) -> tuple[str, ...]:
        """The syllables of glued pinyin, when names in characters may be meant by it.

        Only when the directory has names in characters (their readings are
        indexed syllable by syllable) and the words found no name as written.
        """
        if not self._han or (scores and max(scores.values()) >= READING):
            return ()
        syllables = self.pinyin.syllables_of(words)
        return syllables if len(syllables) > len(words) else ()

    # -- names in characters ------------------------------------------------

    def _resolve_han(self, query: str, qualifier: str | None) -> ContactResolution:
        """A query holding Chinese characters, with or without a department in it."""
        if len(han_only(query)) > MAX_HAN_NAME:
            return ContactResolution(query=query)  # a sentence, not a name: never look it up
        text = self._han_qualifiers.clean(join_han(fold(query).strip()))
        if qualifier is not None:
            return self._lookup_han(text, self._han_qualifiers.terms(fold(qualifier)))
        whole = self._lookup_han(text, ())
        split = self._han_qualifiers.split(text)
        if split is None:
            return whole
        qualified = self._lookup_han(*split)
        if not qualified.candidates or (
            whole.candidates and whole.candidates[0].score > qualified.candidates[0].score
        ):
            return whole
        return qualified

    def _lookup_han(self, text: str, qualifiers: Sequence[str]) -> ContactResolution:
        chars = han_only(text)
        if not chars or not self.contacts:
            return ContactResolution(query=text)
        if chars not in self._han:  # 李总, 王经理, 老王, 小林: the surname is the name
            chars = self._han_qualifiers.surname_of(chars)
        scores: dict[int, float] = {}
        alike: set[int] = set()
        for index, weight in self._han.get(chars, ())[: MAX_OWNERS * 4]:
            scores[index] = max(weight, scores.get(index, 0.0))
            alike.add(index)
        for reading in self.pinyin.readings(chars):
            for index, value in self._score(reading, alike).items():
                scores[index] = max(value * HEARD, scores.get(index, 0.0))
        scores = {i: s + self._overlap(chars, i) for i, s in scores.items() if s >= MIN_SCORE}
        if qualifiers:
            scores = self._qualify(scores, qualifiers)
        return self._rank(text, scores, alike)

    def _overlap(self, chars: str, index: int) -> float:
        """A little for each character in its place shared with the query: of those
        who sound alike, 李伟 and 黎威 are likelier meant by 李威 than 礼薇 is."""
        contact = self.contacts[index]
        best = 0
        for name in (contact.name, *contact.aliases):
            if not name.isascii():
                theirs = han_only(name)
                best = max(best, sum(a == b for a, b in zip(chars, theirs, strict=False)))
        return best * OVERLAP

    def _clean(self, words: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = [w.removesuffix("'s") for w in words]
        while len(cleaned) > 1 and cleaned[-1] in self._group_words:
            if " ".join(cleaned) in self._text_id:
                break
            cleaned.pop()
        while len(cleaned) > 1 and cleaned[0] in self._fillers:
            cleaned.pop(0)
        return tuple(cleaned)

    def _pool(self, words: tuple[str, ...], key: str) -> list[int]:
        exact = set(_ids(self._by_key, key))
        if " ".join(words) in self._text_id:
            exact.add(self._text_id[" ".join(words)])
        # Names of about the query's length only: a one-word query is scored
        # against one-word variants (first names, aliases), not every full name.
        sizes = {s for s in (len(words) - 1, len(words), len(words) + 1) if 1 <= s <= 3}
        if len(words) == 1:
            sizes = {1}
        # Same-sounding words first; only when no name has them all, words
        # that sound nearly the same.
        block = self._block_of(words, sizes, near=False)
        if not block:
            block = self._block_of(words, sizes, near=True)
        return sorted(exact | block)

    def _block_of(self, words: tuple[str, ...], sizes: set[int], *, near: bool) -> set[int]:
        per_word = [self._postings(word, sizes, near=near) for word in words]
        if not per_word:
            return set()
        # Intersect from the rarest word: a common surname's posting lists
        # hold thousands of names, and a union of them costs milliseconds.
        per_word.sort(key=lambda postings: sum(map(len, postings)))
        joint = set().union(*per_word[0])
        for postings in per_word[1:]:
            if not joint:
                break
            # Each ``joint & p`` walks the smaller set, in C.
            joint = set().union(*(joint & p for p in postings))
        if joint or not near:
            return joint if len(joint) <= MAX_POOL else set(sorted(joint)[:MAX_POOL])
        # No variant shares every word: probably not a name; look less far,
        # at the variants sharing all words but one ("marie sankhez walka":
        # Mary Sanchez-Walker, if "marie" is too far from "mary").
        words_of = [set().union(*postings) for postings in per_word]
        if len(words_of) > 2:
            union = set().union(
                *(
                    words_of[i] & words_of[j]
                    for i in range(len(words_of))
                    for j in range(i + 1, len(words_of))
                )
            )
        else:
            union = set().union(*words_of)
        return union if len(union) <= MAX_POOL // 4 else set(sorted(union)[: MAX_POOL // 4])

    def _postings(self, word: str, sizes: set[int], *, near: bool) -> list[frozenset[int]]:
        """The variants holding a word that sounds like ``word`` (or nearly), per size."""
        word_key = self.sounds.word_key(word)
        keys = self._near(word_key) if near else (word_key,)
        postings = []
        for found_key in keys:
            for size in sizes:
                as_set = self._block.get(f"{found_key}/{size}")
                if as_set:
                    postings.append(as_set)
        return postings

    def _near_keys(self, word_key: str) -> tuple[str, ...]:
        """The directory's word keys nearest ``word_key`` (a scan of every key:
        remembered, as the same words come back, "meeting", "more")."""
        found = process.extract(
            word_key, self._word_keys, scorer=fuzz.ratio, score_cutoff=70, limit=3
        )
        return tuple(k for k, _, _ in found)

    def _score(self, words: tuple[str, ...], alike: set[int] | None = None) -> dict[int, float]:
        """Best score per contact index among the pooled variants.

        When ``alike`` is given (a query in characters, read as pinyin), the
        contacts of variants that are the same pinyin, or that are not
        pinyin and sound the same to an English ear (Lee Way for li wei),
        are added to it: English-ear keys are too coarse between pinyin
        syllables (qin / xin, dan / tan) to call those the same sound. Nor
        does a name read from characters match a name's words reversed
        (阎家 is not Jia Yan, though "yan jia" may be).
        """
        text = " ".join(words)
        key = self.sounds.name_key(words)
        pool = self._pool(words, key)
        if not pool:
            return {}
        texts = [self._texts[i] for i in pool]
        keys = [self._keys[i] for i in pool]
        spelled = process.cdist([text], texts, scorer=fuzz.ratio, dtype=np.float32)[0] / 100
        sounded = process.cdist([key], keys, scorer=fuzz.ratio, dtype=np.float32)[0] / 100
        mixed = 0.55 * spelled + 0.4 * sounded
        same_ids = set(_ids(self._by_key, key))
        same_sound = np.fromiter((i in same_ids for i in pool), dtype=np.float32) * SAME_SOUND
        score = np.maximum(np.maximum(mixed, same_sound), (spelled >= 1.0).astype(np.float32))
        contacts: dict[int, float] = {}
        syllables = self.pinyin.syllables_of(words)
        hits = np.nonzero(score >= MIN_SCORE)[0]
        floor, changed = 0.0, False  # the 5th best so far, once ENOUGH are in
        for position in hits[np.argsort(-score[hits], kind="stable")]:
            base = float(score[position])
            if len(contacts) >= ENOUGH:
                if changed:  # sorted again only when a contact came in or rose
                    floor = heapq.nlargest(MAX_CANDIDATES, contacts.values())[-1]
                    changed = False
                if base < floor:
                    break  # no later variant can enter the top candidates
            if len(syllables) > 1 and not self._sounds_like(syllables, pool[position], base):
                continue  # another Chinese name, however alike in letters
            owners = self._owners.of(pool[position], MAX_OWNERS)
            if alike is not None:
                owners = [(i, w) for i, w in owners if w != REVERSED]
                if self._alike(pool[position], spelled[position], same_ids):
                    alike.update(index for index, _ in owners)
            for index, weight in owners:
                value = base * weight
                if value >= MIN_SCORE and value > contacts.get(index, 0.0):
                    contacts[index] = value
                    changed = True
        return contacts

    def _alike(self, text_id: int, spelled: float, same_ids: set[int]) -> bool:
        if spelled >= 1.0:
            return True
        return text_id in same_ids and not self._syllables.get(text_id)

    def _sounds_like(self, syllables: tuple[str, ...], text_id: int, score: float) -> bool:
        """Whether a variant that is a pinyin name has the query's syllables, or near ones.

        A variant that is not pinyin ("lee way", "david zhang") must sound
        alike as a whole: "zhang fang" is not David Zhang.
        """
        theirs = self._syllables.get(text_id)
        if theirs is None:
            theirs = self.pinyin.syllables_of(self._texts[text_id].split())
            self._syllables[text_id] = theirs
        if not theirs:  # not a Chinese name: only if it sounds alike as a whole
            return score >= FOREIGN_SOUND
        if len(theirs) != len(syllables):
            return False
        return all(self.pinyin.near(a, b) for a, b in zip(syllables, theirs, strict=True))

    def _qualify(self, scores: dict[int, float], qualifiers: Sequence[str]) -> dict[int, float]:
        matching = {
            i: s for i, s in scores.items() if self._describes(self.contacts[i], qualifiers)
        }
        return {i: min(1.0, s + 0.02) for i, s in matching.items()} if matching else scores

    @staticmethod
    def _describes(contact: Contact, qualifiers: Sequence[str]) -> bool:
        for value in (contact.department, contact.title):
            if not value:
                continue
            folded = fold(value)
            for qualifier in qualifiers:
                if len(qualifier) < 3 and qualifier.isascii():  # "it": the word itself
                    if qualifier in folded.split():
                        return True
                elif fuzz.partial_ratio(qualifier, folded) >= 85:
                    return True
        return False

    def _rank(
        self,
        query: str,
        scores: dict[int, float],
        alike: set[int] | None = None,
        *,
        guess: bool = False,
    ) -> ContactResolution:
        """The best candidates; ambiguous when too close, when two share the sound
        heard, or when the best is only a ``guess``."""
        top = sorted(scores.items(), key=lambda item: -item[1])[: MAX_CANDIDATES * 4]
        top.sort(key=lambda item: (-round(item[1], 4), self.contacts[item[0]].name, item[0]))
        candidates = tuple(
            ContactCandidate(self.contacts[i], round(s, 4)) for i, s in top[:MAX_CANDIDATES]
        )
        ambiguous = bool(candidates) and (
            guess
            or (candidates[0].score < SURE and len(self.contacts) >= SURE_FROM)
            or (
                len(candidates) > 1
                and (
                    candidates[0].score - candidates[1].score < AMBIGUITY_MARGIN
                    or (alike is not None and sum(i in alike for i, _ in top[:MAX_CANDIDATES]) > 1)
                )
            )
        )
        return ContactResolution(query=query, candidates=candidates, ambiguous=ambiguous)
