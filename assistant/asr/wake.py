"""The wake phrase: the driver says "hey drive talk" before talking to the assistant.

A car hears the radio, passengers and the driver talking to them; with a wake
phrase only what follows it is a command. The phrase is spotted offline, one
utterance at a time, by the recognizer already loaded for the locale: each
utterance is decoded with a small grammar made of the phrase and filler
words (the competitors that let other speech be heard as something else),
and the phrase counts when its words open the utterance in order, each
heard at least ``min_confidence`` surely. Nothing here knows a language: phrases and
fillers are data per locale (``wake_phrases.yaml``) or settings (``[wake]``),
and an engine that cannot constrain recognition decodes freely, which the
match works on too.

The utterance ends early once the partial transcript ends with the phrase,
so "hey drive talk ... read my messages" needs only a short pause between
the two.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from assistant.asr.events import Final, Partial, SpeechEnded, WakeHeard
from assistant.asr.listener import Listener
from assistant.config import WakeSettings
from assistant.errors import ConfigError


@cache
def _catalogue() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("wake_phrases.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return data if isinstance(data, dict) else {}


#: Words the spotter may hear before the phrase in the same utterance (a breath or
#: a click comes out as a filler). The phrase opens what the driver says to the
#: assistant; in radio speech or a conversation its words turn up mid-sentence.
MAX_LEAD_WORDS = 1


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.lower().split())


@dataclass(frozen=True, slots=True)
class WakePhrase:
    """A wake phrase, its fillers and how sure the spotter must be."""

    phrase: str
    fillers: tuple[str, ...] = ()
    min_confidence: float = 0.7
    #: After the phrase, how long the driver has to start the command.
    listen_seconds: float = 6.0
    #: The phrase also counts when the hypotheses of the n-best list that open
    #: with it hold at least this share of the list's score (None: off).
    min_share: float | None = 0.4
    #: The phrase also counts when the partial transcript that ended the
    #: utterance early was the phrase and the final's n-best list still opens
    #: with it somewhere (see :meth:`heard_in`).
    trust_partial: bool = True

    def __post_init__(self) -> None:
        if not _words(self.phrase):
            raise ConfigError("the wake phrase must have at least one word")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ConfigError("the wake phrase's min_confidence must be between 0 and 1")
        if self.listen_seconds <= 0:
            raise ConfigError("the wake phrase's listen_seconds must be positive")
        if self.min_share is not None and not 0.0 < self.min_share <= 1.0:
            raise ConfigError("the wake phrase's min_share must be above 0 and at most 1")

    @classmethod
    def for_locale(cls, locale: str) -> WakePhrase:
        """The shipped phrase and fillers of ``locale`` (ConfigError when there are none)."""
        entry = _catalogue().get(locale)
        if not isinstance(entry, dict) or not entry.get("phrase"):
            known = ", ".join(sorted(_catalogue())) or "none"
            raise ConfigError(
                f"no wake phrase for locale {locale!r} (shipped: {known}); "
                "set [wake] phrase and fillers"
            )
        fillers = tuple(entry.get("fillers", ()))
        odd = [w for w in fillers if not isinstance(w, str)]
        if odd:  # YAML reads a bare yes, no, on or off as a boolean
            raise ConfigError(
                f"wake phrase fillers of locale {locale!r} must be words, not {odd[0]!r} "
                "(quote yes, no, on and off in wake_phrases.yaml)"
            )
        return cls(str(entry["phrase"]), fillers)

    @classmethod
    def from_settings(cls, wake: WakeSettings, locale: str) -> WakePhrase:
        """``[wake]``, with the locale's phrase and fillers where they are not set."""
        if wake.phrase is not None and wake.fillers is not None:
            phrase, fillers = wake.phrase, wake.fillers
        else:
            shipped = cls.for_locale(locale)
            phrase = wake.phrase if wake.phrase is not None else shipped.phrase
            fillers = wake.fillers if wake.fillers is not None else shipped.fillers
        return cls(phrase, tuple(fillers), wake.min_confidence, wake.listen_seconds, wake.min_share)

    @property
    def grammar(self) -> tuple[str, ...]:
        """What the spotting recognizer may hear: the phrase and the fillers.

        The phrase's own words are left out of the fillers: as fillers they
        compete with the phrase itself and it is missed more often.
        """
        own = set(_words(self.phrase))
        fillers = (f for f in self.fillers if not own.intersection(_words(f)))
        return (self.phrase, *dict.fromkeys(fillers))

    def ends_with_phrase(self, partial: str) -> bool:
        """Whether a partial transcript ends with the phrase (the spotting utterance may end)."""
        words, phrase = _words(partial), _words(self.phrase)
        return words[-len(phrase) :] == phrase

    def heard_in(self, final: Final, partial: str = "") -> bool:
        """Whether the utterance opens with the phrase: in the best hypothesis, every
        word surely heard, or in enough of the n-best list (:meth:`share`), or
        (``trust_partial``) in ``partial``, the last partial transcript, when it
        ended with the phrase and a hypothesis of the n-best list opens with it.

        The last rule is for the phrase whose utterance ended early on the
        partial: in noise the early end can cut the last syllable, and the
        final, decoded without it, then swaps the last word for a filler
        (BENCHMARKS.md, "Wake phrase in English, and the partial that ended it").
        At most :data:`MAX_LEAD_WORDS` words may come before it.
        """
        if self.min_share is not None and self.share(final) >= self.min_share:
            return True
        if self._surely_in_best(final):
            return True
        return self.trust_partial and self._ended_on_phrase(partial, final)

    def _ended_on_phrase(self, partial: str, final: Final) -> bool:
        words = _words(partial)
        if not (self.ends_with_phrase(partial) and self._opens(words)):
            return False
        return any(self._opens(_words(h.text)) for h in final.alternatives)

    def share(self, final: Final) -> float:
        """The share of the n-best list's score held by hypotheses opening with the phrase.

        A second look at one decode: in cabin noise the best hypothesis often
        swaps the phrase's last word for a filler while the runner-up keeps
        it (BENCHMARKS.md, "Wake phrase"). 0 with fewer than two hypotheses:
        a lone hypothesis is judged by its words' confidences instead.
        """
        hypotheses = final.alternatives
        total = sum(max(h.score, 0.0) for h in hypotheses)
        if len(hypotheses) < 2 or total <= 0:
            return 0.0
        opening = sum(max(h.score, 0.0) for h in hypotheses if self._opens(_words(h.text)))
        return opening / total

    def _opens(self, words: tuple[str, ...]) -> bool:
        phrase = _words(self.phrase)
        return any(
            words[start : start + len(phrase)] == phrase
            for start in range(min(len(words) - len(phrase), MAX_LEAD_WORDS) + 1)
        )

    def _surely_in_best(self, final: Final) -> bool:
        phrase = _words(self.phrase)
        if final.words:
            heard = [(w.word.lower(), w.confidence) for w in final.words]
        else:  # an engine without word details: the text alone
            heard = [(w, 1.0) for w in _words(final.text)]
        for start in range(min(len(heard) - len(phrase), MAX_LEAD_WORDS) + 1):
            window = heard[start : start + len(phrase)]
            if tuple(w for w, _ in window) == phrase and all(
                c >= self.min_confidence for _, c in window
            ):
                return True
        return False


async def wait_for_wake(
    listener: Listener,
    chunks: AsyncIterable[bytes],
    wake: WakePhrase,
    on_event: Callable[[WakeHeard], None] | None = None,
) -> bool:
    """Listen to one utterance of ``chunks``; True when it held the wake phrase.

    Speech that is not the phrase is dropped unseen (it was not addressed to
    the assistant); nothing barges in on the assistant's speech either.
    ``on_event`` gets the :class:`WakeHeard` event when the phrase was heard.
    """
    ended = 0.0
    final: Final | None = None
    partial = ""
    async for event in listener.listen(
        chunks,
        grammar=wake.grammar,
        is_speaking=lambda: False,
        complete=wake.ends_with_phrase,
        partial_final=False,  # the words' confidences decide, not the partial's text
    ):
        if isinstance(event, SpeechEnded):
            ended = event.time
        elif isinstance(event, Partial):
            partial = event.text
        elif isinstance(event, Final):
            final = event
    if final is None or not wake.heard_in(final, partial):
        return False
    if on_event is not None:
        on_event(WakeHeard(time=ended, phrase=wake.phrase))
    return True


class WakeGate:
    """Per stream: whether the next utterance is for the assistant.

    Without a phrase every utterance is. With one, an utterance is a turn
    after the phrase (the next one only, which may start up to
    ``listen_seconds`` later) or while the caller says the assistant is
    busy: answering a turn, talking, or waiting for the answer to a question.
    """

    def __init__(self, wake: WakePhrase | None) -> None:
        self.wake = wake
        self._woken = False

    @classmethod
    def configured(cls, wake: WakeSettings, locale: str, enabled: bool | None = None) -> WakeGate:
        """The gate ``[wake]`` asks for; ``enabled`` overrides ``wake.enabled``."""
        on = wake.enabled if enabled is None else enabled
        return cls(WakePhrase.from_settings(wake, locale) if on else None)

    async def admit(
        self,
        listener: Listener,
        chunks: AsyncIterable[bytes],
        *,
        busy: bool,
        on_wake: Callable[[WakeHeard], None] | None = None,
    ) -> bool:
        """True when the next utterance is a turn; else spot (one utterance) and say False."""
        if self.wake is None or busy or self._woken:
            return True
        self._woken = await wait_for_wake(listener, chunks, self.wake, on_wake)
        return False

    def window_ms(self) -> int | None:
        """The leading silence of the utterance about to be heard: the wake window, once."""
        woken, self._woken = self._woken, False
        return int(self.wake.listen_seconds * 1000) if woken and self.wake is not None else None
