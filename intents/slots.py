"""Fill slots from a template match: names, free text, list values, times.

Names are resolved here, against the directory: a capture may carry a
qualifier ("li wei from sales", "the finance li wei"), several attendees
("li wei and zhang san"), or run straight into the message body with no
word between them ("tell li wei i'm late") -- then every split is tried and
the one whose name the directory knows best wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intents.contacts import ContactIndex
from intents.grammar import MAX_NAME_WORDS, phrase_tokens
from intents.matcher import Match
from intents.result import ContactResolution, SlotValue
from intents.text import Tokens, is_cjk, join_words, name_words, tokenize_cjk

_ATTENDEE_SPLIT = re.compile(r",| and | with | plus | & ")
#: How much less an ambiguous name counts when choosing where a name ends.
AMBIGUITY_PENALTY = 0.05
#: A longer name keeps the same best contact if it still scores this.
SAME_PERSON_SCORE = 0.75
#: Resolutions remembered per parser (cleared when full).
CACHE_SIZE = 4096
#: Words between a name and a message body that belong to neither.


@dataclass(frozen=True, slots=True)
class Filled:
    """The slots of one match, and whether every required name resolved."""

    slots: dict[str, SlotValue]
    resolved_all: bool
    unresolved: int


class SlotFiller:
    """Turns a :class:`Match` into slot values."""

    def __init__(self, index: ContactIndex, speech: Mapping[str, Any]) -> None:
        self.index = index
        #: Words between a name and a body that belong to neither ("saying").
        self.connectors = frozenset(speech["body_connectors"])
        #: Words that can start a message body but never end a name.
        self.body_starters = frozenset(speech["body_starters"])
        self.not_in_names = frozenset(speech["not_in_names"])
        #: Connectors that always end a name ("saying"; not "to": "ask li na to ...").
        self.strong_connectors = frozenset(speech.get("name_enders") or ())
        #: Words no name starts with ("email is a great invention").
        self.never_first = frozenset(speech["name_never_starts"])
        #: Who someone is to the driver ("my wife"): a recipient without a directory entry.
        self.person_nouns = frozenset(speech["person_nouns"])
        #: Words at which an unknown name has certainly ended.
        self._body_edge = self.connectors | self.body_starters | self.not_in_names
        # Chinese counts characters: a name is written without spaces ("李娜",
        # "销售部的李伟") and may take more tokens; English keeps its defaults.
        self.characters = speech.get("tokens") == "characters"
        self.join = join_words if self.characters else " ".join
        self.max_name = int(speech.get("max_name_tokens", MAX_NAME_WORDS))
        self.max_unknown = int(speech.get("max_unknown_name_tokens", MAX_UNKNOWN_NAME_WORDS))
        separators = speech.get("attendee_separators")
        self._attendee_split = (
            re.compile("|".join(re.escape(s) for s in separators))
            if separators
            else _ATTENDEE_SPLIT
        )
        self._pronouns = frozenset(speech.get("pronouns", _PRONOUNS))
        self._owners = tuple(speech.get("person_owners", ("my", "our")))
        self._recipient_owners = tuple(speech.get("recipient_owners", ()))
        self._body_leads = tuple(
            sorted(
                (phrase_tokens(str(p)) for p in speech.get("body_leads", ())), key=len, reverse=True
            )
        )
        self._attendee_trailing = tuple(
            phrase_tokens(str(p)) for p in speech.get("attendee_trailing", ())
        )
        #: Characters that start a sentence or a time phrase (an unknown name ends there).
        self._sentence_starts = (
            frozenset(speech.get("sentence_start_chars", ())) | self.body_starters
        )
        #: Words after "and" that are no name ("and then", "and tell").
        self._not_after_and = frozenset(speech.get("not_names_after_and", ()))
        #: An unknown Chinese name in a list starts with one of these (王, 老王).
        self._surnames = tuple(sorted(speech.get("common_surnames", ()), key=len, reverse=True))
        self._familiar = tuple(speech.get("familiar_prefixes", ()))
        # The index never changes, so a name heard twice resolves once.
        self._cache: dict[str, ContactResolution] = {}

    def fill(self, match: Match) -> Filled:
        """Slot values for ``match`` (fixed slots, lists, captures)."""
        tokens = match.tokens
        spans = dict(match.spans)
        slots: dict[str, SlotValue] = {}
        heard: ContactResolution | None = None
        if _adjacent(spans, "recipient", "body"):
            spans["recipient"], spans["body"] = self._split(
                tokens, spans["recipient"], spans["body"]
            )
            if not self.characters:  # "peter chow saying", "li na and xu jing"
                heard, several = self._whole_name(tokens, *spans["recipient"])
                if several:
                    slots["recipients"] = several
            else:  # "告诉李娜和老王我晚点到": 老王 is a recipient, never the body
                spans["recipient"], spans["body"] = self._and_more_said(
                    tokens, spans["recipient"], spans["body"]
                )
        for slot, (lo, hi) in spans.items():
            kind = match.template.slot_lists[slot].kind
            words = tokens.words[lo:hi]
            if kind == "values":
                values = match.template.slot_lists[slot].values
                slots[slot] = values[" ".join(words)]
            elif kind == "text":
                slots[slot] = _clean_text(tokens, lo, hi)
            elif kind == "contact":
                person = heard if heard is not None and slot == "recipient" else self._name(words)
                slots[slot] = person
                if slot == "recipient" and heard is None and not person.candidates:
                    several = (
                        self._several_said(tokens.surface(lo, hi).replace("、", "和"))
                        if self.characters
                        else self._several(words, self._listed(tokens, lo, hi))
                    )
                    if several:  # "给李娜和徐静发消息", "no, to li na and xu jing": each person
                        slots["recipients"] = several
                        firsts = tuple(r.candidates[0] for r in several if r.candidates)
                        slots[slot] = ContactResolution(self.join(words), firsts, ambiguous=True)
            elif self.characters:
                # Pauses separate names too ("跟朱强 林涛 何军"): split the text as said.
                slots[slot] = self.attendees(_PAUSES.sub(" 和 ", tokens.surface(lo, hi)))
            else:
                slots[slot] = self.attendees(self.join(words))
        for name, value in match.template.fixed_slots.items():
            slots.setdefault(name, value)
        unresolved = sum(
            1
            for s in match.template.requires
            if s not in _TIME_SLOTS and s != "shift" and not self._known(slots.get(s), s)
        )
        unresolved += sum(1 for v in slots.values() if self._implausible(v))
        unresolved += sum(1 for s in match.template.sure if not _clearly_known(slots.get(s)))
        missing = sum(
            1 for v in slots.values() if isinstance(v, ContactResolution) and not v.candidates
        )
        return Filled(slots, unresolved == 0, missing)

    def _known(self, value: Any, slot: str = "") -> bool:
        """A required name the directory knows, or a person named by who they are."""
        if isinstance(value, ContactResolution):
            return (
                bool(value.candidates)
                or self._person_reference(value.query)
                or (slot == "recipient" and self._recipient_reference(value.query))
            )
        if isinstance(value, tuple):
            return bool(value) and all(self._known(v, slot) for v in value)
        return value is not None

    def _recipient_reference(self, query: str) -> bool:
        """ "the landlord": someone a message can be for, though no attendee."""
        words = query.split()
        return (
            2 <= len(words) <= 3
            and words[0] in self._recipient_owners
            and words[-1] in self.person_nouns
        )

    def _person_reference(self, query: str) -> bool:
        """ "my wife", "our team": someone to message even if the directory lacks them."""
        if self.characters:  # 我老婆, 我们老板, 我的客户
            for owner in sorted(self._owners, key=len, reverse=True):
                if query.startswith(owner):
                    rest = query[len(owner) :].removeprefix("的")
                    return rest in self.person_nouns
            return query in self.person_nouns
        words = query.split()
        return 2 <= len(words) <= 3 and words[0] in self._owners and words[-1] in self.person_nouns

    def _implausible(self, value: Any) -> bool:
        """A name capture that cannot be a contact: "me", or a sentence fragment."""
        if not isinstance(value, ContactResolution):
            return False
        if self.characters and self._person_reference(value.query):
            return False  # 我老婆: someone to message, though no directory entry
        words = self._query_words(value.query)
        if self.characters and len(words) == 1 and is_cjk(words[0]):
            return True  # one character is part of a word (研发部), not a name
        if self.characters and "的" in words[1:] and not value.candidates:
            # "客户成功部的高燕": a department's name may be long, the name after it not.
            cut = len(words) - words[::-1].index("的")
            if words[cut - 2] in _QUALIFIER_MARKS:
                return not words[cut:] or len(words) - cut > self.max_unknown
        if (
            not words
            or words[0] in self._pronouns
            or words[0] in self.never_first
            or words == ["my"]
        ):
            # "email me the lyrics" is not a message; "what mail do i have",
            # "email is a great invention", "the address of my <time>": no name
            return True
        if value.candidates:
            return False
        return len(words) > self.max_unknown or any(w in self.not_in_names for w in words[1:])

    def _query_words(self, query: str) -> tuple[str, ...] | list[str]:
        return tokenize_cjk(query).words if self.characters else query.split()

    def _name(self, words: tuple[str, ...]) -> ContactResolution:
        """A captured name; a capture running into a sentence ("li na i'm late")
        is no name at all, and is not looked up (the lookup is the costly part)."""
        if any(w in self.body_starters or w in self.connectors for w in words[1:]):
            return ContactResolution(self.join(words))
        if self.characters:
            if words[0] in self.never_first or words[0] in self._pronouns:
                # "给销售部…", "我…": a template's words, never a name; not looked up.
                return ContactResolution(self.join(words))
            if len(words) > self.max_unknown and not self._worth_looking_up(words):
                return ContactResolution(self.join(words))
            return self.resolve(_pointing_removed(self.join(words)))
        return self.resolve(self.join(words))

    def resolve(self, text: str) -> ContactResolution:
        """Resolve a spoken name, honouring a department/title qualifier (cached)."""
        cached = self._cache.get(text)
        if cached is None:
            cached = self.index.resolve(text)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[text] = cached
        return cached

    def attendees(self, text: str) -> tuple[ContactResolution, ...]:
        """Resolve "li wei and zhang san" into one resolution per person."""
        parts = [p.strip() for p in self._attendee_split.split(text) if p.strip()]
        if self.characters:  # 我老婆 is someone, though 我 starts no name
            parts = [p if self._person_reference(p) else self._attendee_name(p) for p in parts]
            parts = [p for p in parts if p]
        return tuple(self.resolve(p) for p in parts if p not in _NOT_ATTENDEES)

    def _split(
        self, tokens: Tokens, name: tuple[int, int], body: tuple[int, int]
    ) -> tuple[tuple[int, int], tuple[int, int]]:
        """Choose where the name ends and the body begins."""
        lo, hi = name[0], body[1]
        best_cut, best_score = self._fallback_cut(tokens, lo, hi), 0.0
        best_ids: set[str] = set()
        edge = None if self.characters else self._connector_edge(tokens, lo, hi)
        # "<name> saying ...": the name is all before "saying" (_whole_cut), so
        # its shorter parts need no look-up (each costs a directory search).
        last_cut = lo if edge is not None else min(hi, lo + self.max_name + 1) - 1
        for cut in range(lo + 1, last_cut + 1):
            last = tokens.words[cut - 1]
            if cut - 1 > lo and (last in self.body_starters or last in self.connectors):
                break
            if self.characters and not self._worth_looking_up(tokens.words[lo:cut]):
                if cut - lo > _PLAIN_NAME_CHARACTERS or _latin_then_cjk(tokens.words[lo:cut]):
                    break
                continue
            resolution = self.resolve(self.join(tokens.words[lo:cut]))
            if not resolution.candidates:
                continue
            top = resolution.candidates[0]
            # A name that settles an ambiguity ("li wei from finance") beats
            # the bare ambiguous one ("li wei").
            score = top.score - (AMBIGUITY_PENALTY if resolution.ambiguous else 0.0)
            # "wang fung" beats "wang" when "wang" could mean Wang Fang: more
            # of the name was heard, even if one word is a little off.
            longer_same = (
                top.contact.id in best_ids
                and score >= SAME_PERSON_SCORE
                and score >= best_score - 0.1
                and last not in self.not_in_names
            )
            # "jessica jones rodriguez" said whole is Jessica Jones-Rodriguez,
            # not Jessica Jones with "rodriguez" in the body.
            longer_exact = (
                score >= best_score
                and score >= _EXACT_NAME
                and not resolution.ambiguous
                and set(tokens.words[lo:cut]) <= set(name_words(top.contact.name))
            )
            if score > best_score or longer_same or longer_exact:
                best_cut, best_score = cut, score
                best_ids = {c.contact.id for c in resolution.candidates}
            if self.characters and top.score >= _EXACT_NAME:
                break  # a Chinese qualifier comes before the name: nothing longer is it
        if edge is not None:
            best_cut = edge
        elif not self.characters:
            best_cut = self._whole_cut(tokens, lo, best_cut, hi)
        body_start = best_cut
        while body_start < hi - 1 and tokens.words[body_start] in self.connectors:
            body_start += 1
        # Between a name (or list) and its body: "吧 内容是", "and tell them".
        body_start = self._past_lead(tokens.words, body_start, hi)
        return (lo, best_cut), (body_start, hi)

    def _whole_cut(self, tokens: Tokens, lo: int, cut: int, hi: int) -> int:
        """Where an English name really ends: over "and <known name>", up to
        "saying", or one dangling word further ("tell peter chow i'm late")."""
        # An unknown name joins only a list the directory knows someone of
        # ("li na and bob"; "sunita and cc rahul ..." is no list).
        known = bool(self.resolve(" ".join(tokens.words[lo:cut])).candidates)
        cut = self._and_more(tokens, cut, hi, unknown_ok=known)
        edge = self._connector_edge(tokens, lo, hi)
        if edge is not None and cut < edge:
            # "peter chow saying hi": the name is all that comes before
            # "saying", never "peter" with "chow saying hi" as the body.
            return edge
        if cut == lo + 1 and self._dangling(tokens, cut, hi):
            # one word heard of a name, then a word that starts no body
            return cut + 1
        return cut

    def _and_more(self, tokens: Tokens, cut: int, hi: int, *, unknown_ok: bool = True) -> int:
        """Extend a name over "and <another name>" ("tell li na and xu jing ...",
        "tell li na and bob hi": Bob is unknown, but a recipient, not the body),
        or over ", <another name>" written with a comma ("li na, xu jing and ...")."""
        if cut >= hi - 1:
            return cut
        if tokens.words[cut] in _AND_WORDS:
            start = cut + 1
        elif _comma_before(tokens, cut):
            start = cut
        else:
            return cut
        for end in range(min(hi - 1, start + MAX_HEARD_NAME_WORDS), start, -1):
            other = self.resolve(" ".join(tokens.words[start:end]))
            if other.best is not None and other.candidates[0].score >= SURE_NAME:
                return self._and_more(tokens, end, hi, unknown_ok=unknown_ok)
        unknown = self._unknown_after_and(tokens, start, hi) if unknown_ok else None
        return cut if unknown is None else self._and_more(tokens, unknown, hi)

    @staticmethod
    def _listed(tokens: Tokens, lo: int, hi: int) -> str:
        """The words of ``lo:hi`` with the commas written between them kept."""
        parts = [tokens.words[lo]] if lo < hi else []
        for i in range(lo + 1, hi):
            parts.append(", " if _comma_before(tokens, i) else " ")
            parts.append(tokens.words[i])
        return "".join(parts)

    def _unknown_after_and(self, tokens: Tokens, lo: int, hi: int) -> int | None:
        """Where a name the directory lacks ends after "and" ("li na and bob hi"):
        one or two name-like words before the body visibly starts, else one
        word; None when the words after "and" are no name ("and i'm late")."""
        words = tokens.words
        if lo + 2 < hi and self._person_reference(" ".join(words[lo : lo + 2])):
            return lo + 2  # "tell li na and my wife ...": someone to tell, if unknown
        if lo >= hi - 1 or not self._name_like(words[lo]) or words[lo] in self._not_after_and:
            return None
        for end in range(lo + 1, min(hi - 1, lo + 2) + 1):
            if words[end] in self._body_edge or words[end] in _AND_WORDS:
                return end if self._name_like(" ".join(words[lo:end])) else None
        return lo + 1

    def _and_more_said(
        self, tokens: Tokens, name: tuple[int, int], body: tuple[int, int]
    ) -> tuple[tuple[int, int], tuple[int, int]]:
        """Chinese: extend a name over "和<another name>" ("李娜和徐静", "李娜和老王"),
        known to the directory or a surname's short name, before the body."""
        lo, cut = name
        hi = body[1]
        words = tokens.words
        while cut < hi - 2 and words[cut] in _AND_CHARACTERS:
            end = self._next_name_said(words, cut + 1, hi)
            if end is None:
                break
            cut = end
        if cut == name[1]:
            return name, body
        return (lo, cut), (self._past_lead(words, cut, hi), hi)

    def _next_name_said(self, words: tuple[str, ...], lo: int, hi: int) -> int | None:
        """Where the Chinese name starting at ``lo`` ends (a body must follow), or None."""
        for end in range(lo + 2, min(hi - 1, lo + 6) + 1):
            if self._person_reference(join_words(words[lo:end])):
                return end  # 我老婆: someone to tell, if the directory lacks them
        for end in range(min(hi - 1, lo + _PLAIN_NAME_CHARACTERS), lo + 1, -1):
            found = self.resolve(join_words(words[lo:end]))
            if found.best is not None and found.candidates[0].score >= _EXACT_NAME:
                return end
        if not self._surname_first(words[lo:hi]):
            return None

        def ends_at(end: int, before: frozenset[str]) -> bool:
            return end < hi and all(map(is_cjk, words[lo:end])) and words[end] in before

        # "王小明我…": three characters when "I" or "and" follows them; else
        # two before a sentence start ("老王明天…"); else three.
        strong = self.body_starters | self.connectors | _AND_CHARACTERS
        weak = self._sentence_starts | _AND_CHARACTERS
        if ends_at(lo + 3, strong):
            return lo + 3
        for end in (lo + 2, lo + 3):
            if ends_at(end, weak):
                return end
        return None

    def _surname_first(self, words: tuple[str, ...]) -> bool:
        """Whether the characters start like a name: a common surname, or 老王/小林."""
        text = "".join(words)
        for prefix in self._familiar:
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix) :]
                break
        return any(text.startswith(s) for s in self._surnames)

    def _dangling(self, tokens: Tokens, cut: int, hi: int) -> bool:
        """Whether the word at ``cut`` is a lone name-like word before a body start."""
        if cut + 1 >= hi:
            return False
        word, after = tokens.words[cut], tokens.words[cut + 1]
        return (
            after in self.body_starters
            and word not in self._body_edge
            and word not in _AND_WORDS
            and word.isalpha()
        )

    def _connector_edge(self, tokens: Tokens, lo: int, hi: int) -> int | None:
        """Where a connector ("saying", "that") visibly ends a name of name-like words.

        None when no connector follows within a name's length, or when a
        word before it cannot be part of a name ("li na the truck said ...").
        """
        for cut in range(lo + 1, min(hi - 1, lo + MAX_HEARD_NAME_WORDS) + 1):
            word = tokens.words[cut]
            if word in self.strong_connectors:
                return cut
            # Only a body's first word ends the search: "how", "way" may be
            # pinyin heard in English ("han how yoo" is Han Haoyu).
            if word in self.connectors or word in self.body_starters:
                return None
        return None

    def _whole_name(
        self, tokens: Tokens, lo: int, hi: int
    ) -> tuple[ContactResolution, tuple[ContactResolution, ...]]:
        """The name heard in ``lo:hi``, and each person of several ("li na and xu jing").

        When the whole name is unknown but its first words name someone
        ("peter chow" for Peter Zhou's "peter"), that person is only a
        candidate to ask about, never a sure match. Several people are all
        candidates of an ambiguous ``recipient`` (a dialog that sends to one
        person asks which, never drops a name silently) and each is resolved
        in ``recipients``.
        """
        words = tokens.words[lo:hi]
        several = self._several(words, self._listed(tokens, lo, hi))
        if several:
            firsts = tuple(r.candidates[0] for r in several if r.candidates)
            return ContactResolution(" ".join(words), firsts, ambiguous=True), several
        whole = self._name(words)
        if whole.candidates or len(words) < 2:
            return whole, ()
        for cut in range(len(words) - 1, 0, -1):
            part = self.resolve(" ".join(words[:cut]))
            if part.candidates:
                return ContactResolution(whole.query, part.candidates, ambiguous=True), ()
        return whole, ()

    def _several(self, words: tuple[str, ...], listed: str = "") -> tuple[ContactResolution, ...]:
        """Each person of "li na and xu jing" (or of ``listed``, the words with the
        commas written between them: "li na, xu jing and he jun"), when the
        directory knows one of them and every other part is a short name ("li na
        and bob": Bob is unknown, and the dialog says so, rather than "and bob
        ..." becoming the body)."""
        if not any(w in _AND_WORDS for w in words[1:-1]) and "," not in listed:
            return ()
        people = self.attendees(listed or " ".join(words))
        if len(people) < 2 or not any(p.candidates for p in people):
            return ()
        if not all(
            p.candidates or self._name_like(p.query) or self._person_reference(p.query)
            for p in people
        ):
            return ()
        return people

    def _name_like(self, query: str) -> bool:
        """A short unknown name ("bob", "jake miller"), not words of a sentence."""
        words = query.split()
        return 0 < len(words) <= 2 and all(
            w.isalpha() and w not in self._body_edge and w not in self._pronouns for w in words
        )

    def _several_said(self, text: str) -> tuple[ContactResolution, ...]:
        """Each person of "李娜和徐静" (Chinese), when one of them is known and every
        other part is a name's length of characters (王小明: unknown, said so)."""
        if not self._attendee_split.search(text):
            return ()
        people = self.attendees(text)
        if len(people) < 2 or not any(p.candidates for p in people):
            return ()
        if not all(
            p.candidates
            or (2 <= len(p.query) <= 4 and all(map(is_cjk, p.query)))
            or self._person_reference(p.query)
            for p in people
        ):
            return ()
        return people

    def _worth_looking_up(self, words: tuple[str, ...]) -> bool:
        """Whether Chinese tokens can be a name: not one character alone (part of
        a word), and more than four characters only with a qualifier (的, 部) or
        Latin words; the lookup is the costly part of a parse."""
        cjk = sum(1 for w in words if is_cjk(w))
        if (cjk == 1 and len(words) == 1) or _latin_then_cjk(words):
            return False
        if cjk <= _PLAIN_NAME_CHARACTERS or len(words) > cjk:
            return True
        return any(w in _QUALIFIER_MARKS for w in words)

    def _attendee_name(self, said: str) -> str:
        """One attendee as said, without what followed the name ("黄敏讨论需求" ->
        黄敏, "谢婷约个" -> 谢婷); "" when it starts as no name does (谈采购合同)."""
        words = tokenize_cjk(said).words
        if not words or words[0] in self.never_first:
            return ""
        for cut in range(2, len(words)):
            if any(words[cut : cut + len(t)] == t for t in self._attendee_trailing):
                words = words[:cut]
                break
        return _pointing_removed(join_words(words))

    def _past_lead(self, words: tuple[str, ...], start: int, hi: int) -> int:
        """Past the words between a Chinese name and its body ("吧 内容是", "就说")."""
        moved = True
        while moved:
            moved = False
            for phrase in self._body_leads:
                end = start + len(phrase)
                if end < hi and words[start:end] == phrase:
                    start, moved = end, True
                    break
        return start

    def _fallback_cut(self, tokens: Tokens, lo: int, hi: int) -> int:
        """Unknown name: up to where the body visibly starts ("saying", "i'm",
        "the"), if a name's length away; else one word, two after "my"/"the"."""
        if self.characters:
            return self._fallback_cut_characters(tokens, lo, hi)
        for cut in range(lo + 1, min(hi - 1, lo + self.max_unknown) + 1):
            if tokens.words[cut] in self._body_edge:
                return cut
        if tokens.words[lo] in ("my", "the", "our") and lo + 2 < hi:
            return lo + 2
        return lo + 1

    def _fallback_cut_characters(self, tokens: Tokens, lo: int, hi: int) -> int:
        """Chinese: a Latin name is its Latin words ("David", "li na"); a name in
        characters ends where the driver paused, else before a character that
        starts a sentence or a time (我, 你, 明, 下) two or three characters in,
        else after two characters (the commonest length of a Chinese name)."""
        if hi - lo <= 1:
            return lo + 1
        cut = lo
        while cut < hi - 1 and not is_cjk(tokens.words[cut]):
            cut += 1
        if cut > lo:
            return cut
        for cut in range(lo + 1, min(hi - 1, lo + self.max_unknown) + 1):
            if tokens.words[cut] in _PARTICLES or tokens.spans[cut - 1][1] < tokens.spans[cut][0]:
                return cut
        for cut in (lo + 2, lo + 3):
            if cut < hi and tokens.words[cut] in self._sentence_starts:
                return cut
        return min(lo + 2, hi - 1)


_AND_WORDS = frozenset({"and", "&", "plus"})
#: Characters joining two recipients' names ("李娜和徐静").
_AND_CHARACTERS = frozenset("和跟与")
#: A second name after "and" joins the recipients only if the directory knows it this well.
SURE_NAME = 0.9
_TIME_SLOTS = frozenset({"start", "end", "duration", "new_start"})
#: Words that stand for someone but are never a name to look up.
_PRONOUNS = frozenset({"me", "myself", "us", "ourselves", "i", "we", "you", "they", "it"})


#: Who the driver is among attendees ("with me"): nobody to look up.
_NOT_ATTENDEES = frozenset({"me", "us", "him", "her", "我", "我们", "咱们"})
#: An unknown "name" longer than this is a sentence, not a name.
MAX_UNKNOWN_NAME_WORDS = 3
#: A name before "saying" is taken whole up to this many words ("peter chow from sales").
MAX_HEARD_NAME_WORDS = 5


def _latin_then_cjk(words: tuple[str, ...]) -> bool:
    """ "susan brown会…": characters after a Latin name are no part of it."""
    latin = False
    for word in words:
        if is_cjk(word):
            if latin:
                return True
        else:
            latin = True
    return False


#: A name heard as written in the directory: no longer stretch is that name.
_EXACT_NAME = 0.95
#: A Chinese name without a qualifier has at most this many characters
#: (two- and three-character names, four with a compound surname: 欧阳娜娜).
_PLAIN_NAME_CHARACTERS = 4
#: Characters of a qualifier ("销售部的李伟", "阿波罗项目组", "销售团队群").
_QUALIFIER_MARKS = frozenset("的部组队群司门")
#: Particles that end what was said before them ("给李娜吧 …").
_PARTICLES = frozenset("吧啊呀哈")
_PAUSES = re.compile(r"(?<=[\u3400-\u9fff])\s+|\s+(?=[\u3400-\u9fff])|[,，、;；]+\s*")
_POINTING = re.compile(r"的?那(?:个|位)(?=.)")
_POINTING_END = re.compile(r"(?:的?那(?:个|位)|这个)$")


def _pointing_removed(name: str) -> str:
    """ "财务部那个李薇" -> "财务部的李薇": a pointing word inside a name is a "的"."""
    if "那" not in name and "这" not in name:
        return name
    cleaned = _POINTING.sub("的", _POINTING_END.sub("", name))
    return cleaned.removeprefix("的")


def _comma_before(tokens: Tokens, i: int) -> bool:
    """Whether a comma was written between token ``i - 1`` and token ``i``."""
    if i <= 0 or i >= len(tokens.spans):
        return False
    gap = tokens.original[tokens.spans[i - 1][1] : tokens.spans[i][0]]
    return any(mark in gap for mark in ",，、")


def _adjacent(spans: Mapping[str, tuple[int, int]], first: str, second: str) -> bool:
    return first in spans and second in spans and spans[first][1] == spans[second][0]


def _clean_text(tokens: Tokens, lo: int, hi: int) -> str:
    return tokens.surface(lo, hi).strip(" ,;:-\"'")


#: Top score a ``sure:`` name needs: a name said with nothing around it
#: ("leo yang on the 25th at four") must not be any word the index half matches.
SURE_SCORE = 0.8


def _clearly_known(value: Any) -> bool:
    """Every name resolved, each with a top candidate scoring at least SURE_SCORE."""
    if isinstance(value, tuple):
        return bool(value) and all(_clearly_known(v) for v in value)
    return (
        isinstance(value, ContactResolution)
        and bool(value.candidates)
        and value.candidates[0].score >= SURE_SCORE
    )
