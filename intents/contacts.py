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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from assistant.models import Contact
from intents.phonetics import SoundKeys
from intents.result import ContactCandidate, ContactResolution
from intents.text import fold, name_words, tokenize

_QUALIFIER_WORDS = frozenset(("from", "in", "of", "at", "on"))
_QUALIFIER_NOISE = frozenset(("the", "department", "dept", "team", "office", "group"))
#: Scores below this are not candidates at all.
MIN_SCORE = 0.62
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


class ContactIndex:
    """Ranked, phonetic, qualifier-aware lookup of people and group chats."""

    def __init__(self, contacts: Iterable[Contact], phonetics: Mapping[str, Any]) -> None:
        self.contacts: tuple[Contact, ...] = tuple(contacts)
        self.sounds = SoundKeys(phonetics)
        self._group_words = frozenset(phonetics["group_words"])
        self._fillers = frozenset(phonetics["name_fillers"])
        self._texts: list[str] = []
        self._keys: list[str] = []
        self._owners: list[list[tuple[int, float]]] = []
        self._text_id: dict[str, int] = {}
        self._by_key: dict[str, list[int]] = defaultdict(list)
        self._block: dict[str, list[int]] = defaultdict(list)
        for index, contact in enumerate(self.contacts):
            self._add(index, contact)
        self._word_keys = sorted({k.rpartition("/")[0] for k in self._block})
        self.departments: frozenset[str] = frozenset(
            fold(c.department) for c in self.contacts if c.department
        )

    def __len__(self) -> int:
        return len(self.contacts)

    def _add(self, index: int, contact: Contact) -> None:
        words = name_words(contact.name)
        self._variant(index, words, FULL)
        if len(words) == 2:
            self._variant(index, (words[1], words[0]), REVERSED)
        for alias in contact.aliases:
            self._variant(index, name_words(alias), ALIAS)
        if len(words) > 1 and contact.kind == "person":
            for word in words:
                known = self._text_id.get(word)  # most name words are shared
                if known is None:
                    self._variant(index, (word,), PARTIAL)
                else:
                    self._owners[known].append((index, PARTIAL))

    def _variant(self, index: int, words: tuple[str, ...], weight: float) -> None:
        if not words:
            return
        text = " ".join(words)
        text_id = self._text_id.get(text)
        if text_id is None:
            text_id = len(self._texts)
            key = self.sounds.name_key(words)
            self._text_id[text] = text_id
            self._texts.append(text)
            self._keys.append(key)
            self._owners.append([])
            self._by_key[key].append(text_id)
            size = min(len(words), 3)
            for word in set(words):
                self._block[f"{self.sounds.word_key(word)}/{size}"].append(text_id)
        self._owners[text_id].append((index, weight))

    # -- lookup -----------------------------------------------------------

    def resolve(self, query: str, qualifier: str | None = None) -> ContactResolution:
        """Rank the contacts that ``query`` (a heard name) may mean.

        Without an explicit ``qualifier``, one spoken inside the query is
        honoured: "li wei from sales", "the finance li wei".
        """
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
        )

    def _lookup(self, query: str, qualifier: str | None) -> ContactResolution:
        words = self._clean(tokenize(query).words)
        if not words or not self.contacts:
            return ContactResolution(query=query)
        scores = self._score(words)
        if qualifier:
            scores = self._qualify(scores, fold(qualifier))
        return self._rank(query, scores)

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
        exact = set(self._by_key.get(key, ()))
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
        per_word: list[set[int]] = []
        for word in words:
            word_key = self.sounds.word_key(word)
            keys = [word_key]
            if near:
                found = process.extract(
                    word_key, self._word_keys, scorer=fuzz.ratio, score_cutoff=70, limit=3
                )
                keys = [k for k, _, _ in found]
            hits: set[int] = set()
            for found_key in keys:
                for size in sizes:
                    hits.update(self._block.get(f"{found_key}/{size}", ()))
            per_word.append(hits)
        joint = set.intersection(*per_word) if per_word else set()
        if joint or not near:
            return joint if len(joint) <= MAX_POOL else set(sorted(joint)[:MAX_POOL])
        # No variant shares every word: probably not a name; look less far.
        union = set().union(*per_word)
        return union if len(union) <= MAX_POOL // 4 else set(sorted(union)[: MAX_POOL // 4])

    def _score(self, words: tuple[str, ...]) -> dict[int, float]:
        """Best score per contact index among the pooled variants."""
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
        same_ids = set(self._by_key.get(key, ()))
        same_sound = np.fromiter((i in same_ids for i in pool), dtype=np.float32) * SAME_SOUND
        score = np.maximum(np.maximum(mixed, same_sound), (spelled >= 1.0).astype(np.float32))
        contacts: dict[int, float] = {}
        hits = np.nonzero(score >= MIN_SCORE)[0]
        for position in hits[np.argsort(-score[hits], kind="stable")]:
            base = float(score[position])
            if len(contacts) >= ENOUGH and base < sorted(contacts.values())[-MAX_CANDIDATES]:
                break  # no later variant can enter the top candidates
            for index, weight in self._owners[pool[position]][:MAX_OWNERS]:
                value = base * weight
                if value >= MIN_SCORE and value > contacts.get(index, 0.0):
                    contacts[index] = value
        return contacts

    def _qualify(self, scores: dict[int, float], qualifier: str) -> dict[int, float]:
        matching = {i: s for i, s in scores.items() if self._describes(self.contacts[i], qualifier)}
        return {i: min(1.0, s + 0.02) for i, s in matching.items()} if matching else scores

    @staticmethod
    def _describes(contact: Contact, qualifier: str) -> bool:
        for value in (contact.department, contact.title):
            if value and fuzz.partial_ratio(qualifier, fold(value)) >= 85:
                return True
        return False

    def _rank(self, query: str, scores: dict[int, float]) -> ContactResolution:
        top = sorted(scores.items(), key=lambda item: -item[1])[: MAX_CANDIDATES * 4]
        top.sort(key=lambda item: (-round(item[1], 4), self.contacts[item[0]].name, item[0]))
        candidates = tuple(
            ContactCandidate(self.contacts[i], round(s, 4)) for i, s in top[:MAX_CANDIDATES]
        )
        ambiguous = len(candidates) > 1 and (
            candidates[0].score - candidates[1].score < AMBIGUITY_MARGIN
        )
        return ContactResolution(query=query, candidates=candidates, ambiguous=ambiguous)
