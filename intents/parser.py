"""The parser: utterance (or n-best hypotheses) + context -> ParseResult.

Pipeline for one text: tokenise and clean (:mod:`intents.prepare`); apply
the dialog's expectation (:mod:`intents.context`); find time phrases
(:mod:`intents.timeparse`); run the templates (:mod:`intents.matcher`) on the
words, and on the words without time phrases for calendar intents; fill the
slots of the best match whose names check out (:mod:`intents.slots`); if
nothing matched, try again with misheard keywords corrected. A miss is
``Intent.NONE``, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from assistant.models import ACTION_INTENTS, Contact, Hypothesis, Intent
from intents.alike import SoundAlikes
from intents.arbiter import load_arbiter
from intents.arbitration import arbitrated_intent, held
from intents.asides import Asides
from intents.contacts import ContactIndex
from intents.context import pick_choice
from intents.context_zh import pick_choice_zh
from intents.edits import Additions
from intents.grammar import Grammar, load_grammar, phrase_tokens
from intents.index_cache import load_index
from intents.matcher import Match, Matcher
from intents.moving import left_out, move_times
from intents.nbest_names import disputed
from intents.numbers import NumberWords
from intents.prepare import Preparer
from intents.repairs import Restarts
from intents.rescue import Rescue
from intents.result import ContactResolution, Expect, ParseContext, ParseResult, SlotValue
from intents.shifts import find_shift
from intents.shifts_zh import find_shift_zh
from intents.slots import SlotFiller
from intents.text import Tokens, join_words, tokenize, tokenize_cjk, unsegmented
from intents.timeparse import Piece, TimeScanner
from intents.timeparse_zh import ZhTimeScanner
from intents.title_zh import TitleFinder
from intents.titles import with_calendar_title
from intents.when import resolve

_CONTROL = (Intent.CONFIRM, Intent.DENY, Intent.CANCEL, Intent.REPEAT, Intent.HELP, Intent.NEXT)
_TIME_SLOTS = frozenset({"start", "end", "duration", "new_start"})
#: Slots read from the words before templates are matched (a move's amount too).
_EXTRACTED = _TIME_SLOTS | {"shift"}
_QUESTION_INTENTS = frozenset({Intent.QUERY_CALENDAR, Intent.READ_MESSAGES})
#: Intents a rescued reading takes times for (as the grammar's "extract" templates do).
_RESCUE_TIMED = frozenset(
    {Intent.CREATE_EVENT, Intent.QUERY_CALENDAR, Intent.CANCEL_EVENT, Intent.READ_MESSAGES}
)
#: Matches tried (best first) until one has slots that check out.
MAX_TRIES = 12
#: Confidence factor when a match needed the fuzzy keyword correction.
FUZZY_PENALTY = 0.85


@dataclass(frozen=True, slots=True)
class _Prepared:
    tokens: Tokens
    pieces: tuple[Piece, ...]
    timeless: Tokens


class Parser:
    """Grammar + directory, compiled once; :meth:`parse` is cheap and thread-safe."""

    def __init__(self, grammar: Grammar, contacts: ContactIndex, *, arbiter: bool = True) -> None:
        self.grammar = grammar
        #: The statistical arbiter beside the grammar (``[nlu] arbiter``), loaded on first use.
        self.arbiter = arbiter
        self.contacts = contacts
        speech = grammar.data["speech"]
        self.numbers = NumberWords.from_data(grammar.data["numbers"])
        #: Chinese is read character by character (see intents/README.md, "Chinese").
        self.characters = speech.get("tokens") == "characters"
        self.tokenize = _tokenize_chinese if self.characters else tokenize
        self.scanner: TimeScanner | ZhTimeScanner = (
            ZhTimeScanner(grammar.data["time"])
            if self.characters
            else TimeScanner(grammar.data["time"], self.numbers)
        )
        self.preparer = Preparer(speech, grammar.vocabulary)
        self.matcher = Matcher(grammar)
        self.filler = SlotFiller(contacts, speech)
        self.alike = SoundAlikes(contacts)
        self.additions = Additions(speech.get("addition_openers") or ())
        #: English restarts ("... uh no wait tell lin tao ..."): a whole new command.
        self.restarts = Restarts(speech.get("restart_markers") or ())
        #: English requests inside thinking aloud ("... so can you tell sun li ...").
        self.asides = Asides(speech.get("request_openers") or ())
        self._titles = TitleFinder(speech)
        self.rescue = Rescue(self.filler, grammar.locale)
        #: English, for a whole sentence said in English to a Chinese parser
        #: (same directory; built with it, so parse stays cheap).
        self._english = (
            Parser(load_grammar("en"), contacts, arbiter=arbiter) if self.characters else None
        )
        #: Utterances longer than this (tokens) are no command (0: no limit).
        self.max_tokens = int(speech.get("max_command_tokens", 0))
        self._choice_stop = frozenset(speech.get("choice_stop", ()))
        self._choice_aliases = {
            str(k): str(v) for k, v in (speech.get("choice_aliases") or {}).items()
        }
        self._contact_prefixes = _phrase_list(speech.get("contact_answer_prefix", ()))
        self._contact_suffixes = _phrase_list(speech.get("contact_answer_suffix", ()))
        self._title_prefixes = _phrase_list(speech.get("title_answer_prefix", ()))

    @classmethod
    def from_contacts(
        cls, contacts: Iterable[Contact], locale: str = "en", *, arbiter: bool = True
    ) -> Parser:
        """A parser for ``locale`` whose names resolve against ``contacts``."""
        grammar = load_grammar(locale)
        return cls(grammar, ContactIndex(contacts, grammar.data["phonetics"]), arbiter=arbiter)

    @classmethod
    def from_contacts_file(
        cls,
        path: Path,
        locale: str = "en",
        cache_dir: Path | None = None,
        *,
        arbiter: bool = True,
    ) -> Parser:
        """A parser over a contacts file, its index kept in ``cache_dir`` (index_cache)."""
        grammar = load_grammar(locale)
        index = load_index(path, grammar.data["phonetics"], cache_dir)
        return cls(grammar, index, arbiter=arbiter)

    def parse(
        self,
        utterance: str | Sequence[Hypothesis],
        *,
        now: datetime,
        context: ParseContext | None = None,
    ) -> ParseResult:
        """Understand one utterance (a text, or ASR hypotheses best first)."""
        context = context or ParseContext()
        if isinstance(utterance, str):
            result = self._understood(utterance, now, context)
        else:
            result = self._parse_nbest(utterance, now, context)
        return self.alike.annotate(with_calendar_title(result, context.titles))

    def _understood(self, text: str, now: datetime, context: ParseContext) -> ParseResult:
        """The grammar's reading of one text, arbitrated (issue 15 item 3)."""
        if self.characters and self._english is not None and _all_english(text):
            # A whole sentence in English: the English grammar and model decide.
            self._english.arbiter = self.arbiter
            return self._english._understood(text, now, context)
        result = self._parse_text(text, now, context)
        if not self.arbiter or context.expect is not Expect.ANYTHING:
            return result  # an answer to a question is the dialog's to read
        said = len(self.preparer.clean(self.tokenize(text)).words)
        if not said or (self.max_tokens and said > self.max_tokens):
            return result  # only hesitations, or far longer than any command: none
        model = load_arbiter(self.grammar.locale)
        if model is None:
            return result
        verdict = model.verdict(text)
        intent = arbitrated_intent(
            result.intent,
            result.confidence,
            verdict,
            model.thresholds,
            held=held(result),
        )
        if intent is result.intent:
            return result
        if intent is Intent.NONE:  # the grammar would act on words that are out of domain
            return ParseResult(text, Intent.NONE, 0.0)
        return self._rescued(text, intent, verdict.probability, now)

    def _rescued(self, text: str, intent: Intent, probability: float, now: datetime) -> ParseResult:
        """An intent the grammar missed, with the slots the words plainly give."""
        tokens = self.preparer.clean(self.tokenize(text))
        prepared = self._prepare(tokens)
        slots = self.rescue.slots(intent, prepared.tokens, prepared.timeless)
        if intent in _RESCUE_TIMED and prepared.pieces:
            slots.update(self._times(prepared.pieces, now, intent, slots))
        # Below the grammar's own confidences: a rescued reading is never "sure".
        return ParseResult(text, intent, round(min(probability, 0.8), 3), slots)

    # -- n-best ------------------------------------------------------------

    def _parse_nbest(
        self, hypotheses: Sequence[Hypothesis], now: datetime, context: ParseContext
    ) -> ParseResult:
        if not hypotheses:
            return ParseResult("", Intent.NONE, 0.0)
        top = max(h.score for h in hypotheses)
        best: tuple[float, ParseResult] | None = None
        readings = []
        for rank, hypothesis in enumerate(hypotheses[:8]):
            result = self._understood(hypothesis.text, now, context)
            readings.append(result)
            weight = _asr_weight(hypothesis.score, top, rank)
            joint = _joint_score(result) * weight
            if best is None or joint > best[0]:
                best = (joint, result)
        assert best is not None
        # A name the recogniser's rivals heard as someone else, or that its
        # best path was unsure of (or does not hold), is asked about.
        return disputed(best[1], readings, hypotheses[0].words)

    # -- one text ----------------------------------------------------------

    def _parse_text(
        self, text: str, now: datetime, context: ParseContext, *, asides: bool = True
    ) -> ParseResult:
        if self.characters and self._english is not None and _all_english(text):
            # A Chinese driver may say a whole command in English.
            return self._english._parse_text(text, now, context)
        tokens = self.preparer.clean(self.tokenize(text))
        if not tokens.words:
            return self._only_hesitation(text, now, context)
        restarted = self._restarted(text, tokens, now, context)
        if restarted is not None:
            return restarted
        prepared = self._prepare(tokens)
        answer = self._contextual(text, prepared, now, context)
        if answer is not None:
            return answer
        if self.max_tokens and len(tokens.words) > self.max_tokens:
            # Far longer than any command (a dictated body is taken above, as
            # the dialog expects it): not matched, so parsing stays bounded.
            return ParseResult(text, Intent.NONE, 0.0)
        found = self._ranked(text, prepared, now, 1.0)
        corrected = self.preparer.corrected(tokens)
        if corrected is not None:
            # A misheard keyword ("cancle") may turn a weak reading into a strong one.
            alternative = self._ranked(text, self._prepare(corrected), now, FUZZY_PENALTY)
            if alternative is not None and (found is None or _better(alternative, found)):
                found = alternative
        result = found[1] if found else ParseResult(text, Intent.NONE, 0.0)
        if asides and context.expect is Expect.ANYTHING and result.intent not in ACTION_INTENTS:
            return self._aside(text, tokens, now, context) or result
        return result

    def _aside(
        self, text: str, tokens: Tokens, now: datetime, context: ParseContext
    ) -> ParseResult | None:
        """A command said after a request opener inside thinking aloud, if any."""
        for tail in self.asides.tails(tokens):
            result = self._parse_text(text[tail.spans[0][0] :], now, context, asides=False)
            if result.intent in ACTION_INTENTS:
                return result
        return None

    def _restarted(
        self, text: str, tokens: Tokens, now: datetime, context: ParseContext
    ) -> ParseResult | None:
        """The command said after a restart ("... no wait tell lin tao ..."), if any."""
        tail = self.restarts.tail(tokens)
        if tail is None:
            return None
        result = self._parse_text(text[tail.spans[0][0] :], now, context)
        # A phone call said last ("... uh actually just ring him") is what is
        # asked, though out of domain: it has its callee.
        return result if result.intent is not Intent.NONE or "callee" in result.slots else None

    def _scan(self, tokens: Tokens) -> list[Piece]:
        if isinstance(self.scanner, ZhTimeScanner):
            return self.scanner.scan(tokens.words, _pauses(tokens))
        return self.scanner.scan(tokens.words)

    def _time_restarted(self, tokens: Tokens, pieces: Sequence[Piece]) -> Tokens | None:
        """ "明天不对后天下午": a time, a restart word, a time -- the first time is dropped."""
        for first, second in pairwise(pieces):
            between = tokens.words[first.end : second.start]
            if between and between in self.preparer.restart_phrases:
                drop = set(range(first.start, second.start))
                return tokens.without(drop)
        return None

    def _only_hesitation(self, text: str, now: datetime, context: ParseContext) -> ParseResult:
        """Nothing but a hesitation: none, except a Chinese "嗯" asked yes or no (a yes)."""
        if self.characters and context.expect is Expect.YES_NO:
            raw = self.tokenize(text)
            if raw.words:
                answer = self._match(text, self._prepare(raw), now, 1.0, _CONTROL)
                if answer is not None:
                    return answer
        return ParseResult(text, Intent.NONE, 0.0)

    def _prepare(self, tokens: Tokens) -> _Prepared:
        pieces = tuple(self._scan(tokens))
        if self.characters and len(pieces) > 1:
            restarted = self._time_restarted(tokens, pieces)
            if restarted is not None:
                tokens = restarted
                pieces = tuple(self._scan(tokens))
        shift = (
            find_shift(self.numbers, tokens.words)
            if not self.characters and _moves(tokens.words)
            else None
        )
        if shift is not None:  # "delay the meeting by 15 minutes" is no 15:00
            pieces = tuple(p for p in pieces if p.end <= shift.start or p.start >= shift.end)
        drop = {i for p in pieces for i in range(p.start, p.end)}
        if shift is not None:
            drop.update(range(shift.start, shift.end))
        return _Prepared(tokens, pieces, tokens.without(drop) if drop else tokens)

    def _match(
        self,
        text: str,
        prepared: _Prepared,
        now: datetime,
        factor: float,
        intents: Iterable[Intent] | None = None,
    ) -> ParseResult | None:
        found = self._ranked(text, prepared, now, factor, intents)
        return found[1] if found else None

    def _ranked(
        self,
        text: str,
        prepared: _Prepared,
        now: datetime,
        factor: float,
        intents: Iterable[Intent] | None = None,
    ) -> tuple[tuple[int, float, bool, int], ParseResult] | None:
        """The best match whose slots check out, with its rank.

        Matches that tie on priority and coverage are told apart by their
        slots: the reading whose names the directory knows wins.
        """
        best: tuple[float, tuple[int, float, bool, int], ParseResult] | None = None
        for match in self.matcher.match(prepared.tokens, prepared.timeless, intents)[:MAX_TRIES]:
            if best is not None and match.rank[:3] != best[1][:3]:
                break
            result = self._result(text, match, prepared, now, factor)
            if result is None:
                continue
            quality = _slot_quality(result) - 0.01 * len(match.spans)
            if best is None or quality > best[0]:
                best = (quality, match.rank, result)
        return (best[1], best[2]) if best else None

    def _result(
        self, text: str, match: Match, prepared: _Prepared, now: datetime, factor: float
    ) -> ParseResult | None:
        if match.intent is Intent.NONE:
            return ParseResult(
                text, Intent.NONE, round(0.5 + 0.4 * match.coverage, 3), self._call(match)
            )
        filled = self.filler.fill(match)
        if not filled.resolved_all:
            return None
        slots = dict(filled.slots)
        if match.template.times == "extract":
            slots.update(
                self._move(prepared, now, slots)
                if slots.get("move") is True  # a move has an old and a new time
                else self._times(prepared.pieces, now, match.intent, slots)
            )
            if any(s not in slots for s in match.template.requires if s in _EXTRACTED):
                return None
        if (
            self.characters
            and match.intent is Intent.CANCEL_EVENT
            and "title" not in slots
            and (title := self._titles.cancel_title(prepared.timeless))
        ):
            slots["title"] = title
        if self.characters and match.intent is Intent.CREATE_EVENT and "title" not in slots:
            title, place = self._titles.title_and_place(prepared.timeless, _names_said(slots))
            if title:
                slots["title"] = title
            if place and "location" not in slots:
                slots["location"] = place
        confidence = _confidence(match, filled.unresolved) * factor
        return ParseResult(text, match.intent, round(confidence, 3), slots)

    def _call(self, match: Match) -> dict[str, SlotValue]:
        """A phone call asked for: ``{"callee": whom}`` and the ``body`` to tell them,
        if said (out of domain, but the dialog offers a message instead)."""
        span = match.spans.get("callee")
        if span is None:
            return {}
        words = match.tokens.words[span[0] : span[1]]
        if not words:
            return {}
        found: dict[str, SlotValue] = {"callee": self.filler.resolve(self.filler.join(words))}
        said = match.spans.get("body")
        if said is not None and said[1] > said[0]:
            found["body"] = match.tokens.surface(*said).strip(" ,;:-\"'")
        return found

    def _move(
        self, prepared: _Prepared, now: datetime, slots: dict[str, SlotValue]
    ) -> dict[str, SlotValue]:
        """Old and new times of a move, or its ``shift`` ("by an hour", "back a day")."""
        tokens, pieces = prepared.tokens, prepared.pieces
        shift = (
            find_shift_zh(tokens.words)
            if self.characters
            else find_shift(self.numbers, tokens.words)
        )
        if shift is not None:
            pieces = tuple(p for p in pieces if p.end <= shift.start or p.start >= shift.end)
        found = move_times(self.scanner, tokens.words, pieces, now)
        old, new = found.get("start"), found.get("new_start")
        if found.get("keep") == "day" and isinstance(old, datetime) and isinstance(new, datetime):
            # "move tomorrow's ten o'clock to eleven": eleven on the meeting's own day.
            found["new_start"] = datetime.combine(old.date(), new.timetz())
        if shift is not None and "new_start" not in found:
            found["shift"] = shift.minutes
            title = slots.get("title")
            said = tokens.original[tokens.spans[shift.start][0] : tokens.spans[shift.end - 1][1]]
            if isinstance(title, str) and said in title:
                slots["title"] = " ".join(title.replace(said, " ").split())
        return found

    def _times(
        self, pieces: Sequence[Piece], now: datetime, intent: Intent, slots: dict[str, SlotValue]
    ) -> dict[str, SlotValue]:
        if slots.get("start") == "now":
            return {"start": now}
        when = resolve(
            pieces,
            now,
            working_start=self.scanner.working_start,
            question=intent in _QUESTION_INTENTS,
        )
        found: dict[str, SlotValue] = {}
        for name in ("start", "end", "duration"):
            value = getattr(when, name)
            if value is not None:
                found[name] = value
        if when.all_day and intent is Intent.CREATE_EVENT:
            found["all_day"] = True
        if found and intent is Intent.CREATE_EVENT and left_out(pieces):
            found["keep"] = left_out(pieces)  # "make it 4 pm": a move may keep its day
        return found

    # -- context -------------------------------------------------------------

    def _contextual(
        self, text: str, prepared: _Prepared, now: datetime, context: ParseContext
    ) -> ParseResult | None:
        expect = context.expect
        if expect is Expect.ANYTHING:
            return None
        control = self._match(text, prepared, now, 1.0, _CONTROL)
        if control is not None and control.intent in (Intent.CANCEL, Intent.REPEAT, Intent.HELP):
            return control
        if expect is Expect.CHOICE:
            choice = (
                pick_choice_zh(
                    prepared.tokens, context.choices, self._choice_stop, self._choice_aliases
                )
                if self.characters
                else pick_choice(prepared.tokens, context.choices, self.numbers)
            )
            if choice is not None:
                return ParseResult(text, Intent.CONFIRM, 0.9, {"choice": choice})
            if _yes_to_one(control, context):
                # "Hu Danwen in Marketing?" "yes": the one person offered.
                return ParseResult(text, Intent.CONFIRM, 0.9, {"choice": 0})
            return control
        if expect is Expect.YES_NO:
            # "also say thanks" at a read-back: a sentence added to the draft.
            raw = self.preparer.without_hesitations(self.tokenize(text))
            return self.additions.addition(text, raw) or control
        titled = expect is Expect.TITLE
        if titled and control is not None and control.intent in (Intent.CONFIRM, Intent.DENY):
            return control  # "yes" to "What's the meeting called?" is no title
        if expect in (Expect.TITLE, Expect.TIME):
            command = self._ranked(text, prepared, now, 1.0)
            if command is not None and _new_command(command[1]):
                return command[1]  # "what's on my calendar tomorrow" is asked, not a title
        if expect is Expect.TIME:
            words = prepared.tokens.words
            shift = find_shift_zh(words) if self.characters else find_shift(self.numbers, words)
            if shift is not None:  # "an hour later", "晚半个小时": a move by an amount
                slots: dict[str, SlotValue] = {"move": True, "shift": shift.minutes}
                if not shift.directed:  # "by an hour": the way was said before
                    slots["undirected"] = True
                return ParseResult(text, Intent.CANCEL_EVENT, 0.9, slots)
        if expect is Expect.TIME and not prepared.pieces and not self.characters:
            hour = self._bare_hour(prepared.tokens.words)
            if hour is not None:  # "to 5", "five": the hour asked for
                prepared = self._prepare(self.preparer.clean(self.tokenize(f"at {hour}")))
        return self._expected_value(text, prepared, now, expect)

    def _bare_hour(self, words: Sequence[str]) -> int | None:
        """An hour said alone ("5", "five", "to five") answering "When should I move it to?"."""
        rest = words[1:] if words and words[0] in ("to", "at", "till", "until") else words
        read = self.numbers.cardinal(rest, 0) if rest else None
        if read is None or read[1] != len(rest):
            return None
        value = read[0]
        return int(value) if value == int(value) and 1 <= value <= 12 else None

    def _expected_value(
        self, text: str, prepared: _Prepared, now: datetime, expect: Expect
    ) -> ParseResult | None:
        spoken = prepared.tokens.surface(0, len(prepared.tokens)) or text.strip()
        if expect is Expect.BODY:
            if self.characters:  # the driver's words as said, hesitations aside
                raw = self.preparer.without_hesitations(self.tokenize(text))
                spoken = raw.surface(0, len(raw)) or spoken
            return ParseResult(text, Intent.SEND_MESSAGE, 0.9, {"body": spoken})
        if expect is Expect.TITLE:
            if self.characters:  # "就叫季度规划会": the name, not the words naming it
                spoken = self._title_answer(prepared.tokens) or spoken
            return ParseResult(text, Intent.CREATE_EVENT, 0.9, {"title": spoken})
        if expect is Expect.TIME and prepared.pieces:
            slots = self._times(prepared.pieces, now, Intent.CREATE_EVENT, {})
            return ParseResult(text, Intent.CREATE_EVENT, 0.9, slots) if slots else None
        if expect is Expect.CONTACT:
            resolution = self.filler.resolve(self._contact_answer(prepared.tokens.words))
            if resolution.candidates:
                return ParseResult(text, Intent.SEND_MESSAGE, 0.9, {"recipient": resolution})
        return None

    def _title_answer(self, tokens: Tokens) -> str:
        words = tokens.words
        for phrase in self._title_prefixes:
            if len(words) > len(phrase) and words[: len(phrase)] == phrase:
                return tokens.surface(len(phrase), len(words))
        return ""

    def _contact_answer(self, words: tuple[str, ...]) -> str:
        """The name in a contact answer: "to li na" -> "li na", "发给李娜吧" -> "李娜"."""
        if not self.characters:
            return " ".join(w for w in words if w not in ("to", "send", "it", "for"))
        lo, hi = 0, len(words)
        for phrase in self._contact_prefixes:
            if hi - lo > len(phrase) and words[lo : lo + len(phrase)] == phrase:
                lo += len(phrase)
                break
        for phrase in self._contact_suffixes:
            if hi - lo > len(phrase) and words[hi - len(phrase) : hi] == phrase:
                hi -= len(phrase)
                break
        return join_words(words[lo:hi])


def _pauses(tokens: Tokens) -> frozenset[int]:
    """Indices of the tokens said after a space or punctuation."""
    spans = tokens.spans
    return frozenset(i for i in range(1, len(spans)) if spans[i - 1][1] < spans[i][0])


def _all_english(text: str) -> bool:
    """No Chinese character and at least two words: a sentence said in English."""
    return not _HAS_CJK.search(text) and len(_LATIN_WORD.findall(text)) >= 2


_HAS_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def _tokenize_chinese(text: str) -> Tokens:
    """Character tokens of the text as said (a recogniser's word spaces removed)."""
    return tokenize_cjk(unsegmented(text))


def _names_said(slots: Mapping[str, SlotValue]) -> list[str]:
    """The attendees' names as said, longest first (to strip them from a title)."""
    attendees = slots.get("attendees")
    if not isinstance(attendees, tuple):
        return []
    return sorted((a.query for a in attendees), key=len, reverse=True)


def _phrase_list(phrases: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted((phrase_tokens(str(p)) for p in phrases), key=len, reverse=True))


#: What makes a request said where a title is asked for a new command, not a
#: title ("lunch" and "budget review" read alone as calendar questions).
_COMMAND_SLOTS = {
    Intent.QUERY_CALENDAR: ("start",),
    Intent.SEND_MESSAGE: ("recipient", "body"),
    Intent.QUERY_CONTACT: ("contact",),
}


def _new_command(result: ParseResult) -> bool:
    """A whole request with what it asks about ("what's on tomorrow", "read my messages")."""
    if result.intent is Intent.READ_MESSAGES:
        return result.confidence >= 0.9
    wanted = _COMMAND_SLOTS.get(result.intent, ())
    return any(
        isinstance(value, datetime) or getattr(value, "candidates", None) or isinstance(value, str)
        for value in (result.slots.get(name) for name in wanted)
    )


#: Verbs that start a move; a relative amount after them is a shift, not a time.
_MOVE_VERBS = frozenset(
    {"move", "push", "shift", "reschedule", "postpone", "bump", "delay", "bring", "pull", "put"}
    | {"slide", "slip"}
)


def _moves(words: Sequence[str]) -> bool:
    """Whether a move verb starts the command ("can you push ...": within three words)."""
    return any(w in _MOVE_VERBS for w in words[:3])


def _better(
    alternative: tuple[tuple[int, float, bool, int], ParseResult],
    found: tuple[tuple[int, float, bool, int], ParseResult],
) -> bool:
    """A corrected reading wins only by ranking higher, and never as "none".

    Nor does it override words heard as out of domain: "replay the podcast"
    named its podcast plainly, so "replay" is no misheard "reply".
    """
    if found[1].intent is Intent.NONE or alternative[1].intent is Intent.NONE:
        return False
    return alternative[0] > found[0]


def _slot_quality(result: ParseResult) -> float:
    """How well the names of a reading resolved: known > ambiguous > unknown."""
    quality = 0.0
    for value in result.slots.values():
        for resolution in value if isinstance(value, tuple) else (value,):
            if isinstance(resolution, ContactResolution):
                if not resolution.candidates:
                    quality += 0.3
                else:
                    top = resolution.candidates[0].score
                    quality += top if resolution.best else 0.7 * top
    return quality


def _yes_to_one(control: ParseResult | None, context: ParseContext) -> bool:
    """Whether a plain "yes" answers a choice of one ("Did you mean ...?")."""
    if control is None or len(context.choices) != 1:
        return False
    return control.intent is Intent.CONFIRM and not control.slots


def _confidence(match: Match, unresolved: int) -> float:
    base = 0.55 + 0.35 * match.coverage + 0.02 * min(match.template.priority, 5)
    if unresolved and match.intent in ACTION_INTENTS:
        base -= 0.1
    return max(0.05, min(base, 0.99))


def _joint_score(result: ParseResult) -> float:
    """How usable an interpretation is: intent found, names known."""
    if result.intent is Intent.NONE:
        return 0.05
    score = result.confidence
    for value in result.slots.values():
        if isinstance(value, ContactResolution):
            score *= 1.0 if value.best else 0.8 if value.candidates else 0.6
    return score


def _asr_weight(score: float, top: float, rank: int) -> float:
    """Prefer the recogniser's favourites without letting them override sense."""
    relative = score / top if top > 0 else 1.0
    return max(0.5, min(1.0, relative)) * (1.0 - 0.03 * rank)
