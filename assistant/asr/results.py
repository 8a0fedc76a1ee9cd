"""Turning vosk's result JSON into :class:`Hypothesis` / :class:`Final`.

Single-best mode (n-best size 1) gives per-word MBR confidences. N-best mode
gives one total score per alternative and no word confidences, so there the
scores are turned into posteriors (softmax over the n-best list) and a
word's confidence is the posterior mass of the alternatives that contain the
same word at about the same time (a cheap confusion-network estimate).
Bracketed tokens (``[unk]``, ``[noise]``, the Korean model's ``[1]``) are
filler, not words, and are dropped. Chinese words are joined without
spaces (:func:`~assistant.asr.hanzi.join_words`), as Chinese is written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from assistant.asr.events import Final
from assistant.asr.hanzi import join_words
from assistant.errors import ASRError
from assistant.models import Hypothesis, Word


def parse_result(raw: str, offset: float = 0.0) -> tuple[Hypothesis, ...]:
    """Alternatives of one vosk result, best first; times shifted by ``-offset``."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ASRError("the recognizer returned a malformed result") from exc
    if "alternatives" in data:
        return _n_best(data["alternatives"], offset)
    words = tuple(_word(w, offset, float(w.get("conf", 1.0))) for w in data.get("result", ()))
    words = tuple(w for w in words if not _is_filler(w.word))
    text = join_words(w.word for w in words) if words else _clean_text(data.get("text", ""))
    if not text:
        return ()
    score = sum(w.confidence for w in words) / len(words) if words else 1.0
    return (Hypothesis(text=text, score=score, words=words),)


def merge_segments(segments: Sequence[tuple[Hypothesis, ...]]) -> Final:
    """One Final from the results vosk's own endpointer split an utterance into.

    Every segment but the last contributes its best text; the alternatives
    are the last segment's alternatives behind that common prefix.
    """
    filled = [s for s in segments if s]
    if not filled:
        return Final(text="")
    prefix_words = tuple(w for seg in filled[:-1] for w in seg[0].words)
    prefix_text = join_words(seg[0].text for seg in filled[:-1])
    alternatives = tuple(
        Hypothesis(
            text=join_words([prefix_text, h.text]),
            score=h.score,
            words=prefix_words + h.words,
        )
        for h in filled[-1]
    )
    best = alternatives[0]
    return Final(text=best.text, alternatives=alternatives, words=best.words)


def _n_best(raw_alternatives: list[dict[str, Any]], offset: float) -> tuple[Hypothesis, ...]:
    texts: list[str] = []
    word_lists: list[tuple[Word, ...]] = []
    scores: list[float] = []
    for alt in raw_alternatives:
        words = tuple(
            _word(w, offset, 1.0) for w in alt.get("result", ()) if not _is_filler(w["word"])
        )
        text = join_words(w.word for w in words)
        if not text or text in texts:
            continue  # filler-only or a duplicate once filler is gone
        texts.append(text)
        word_lists.append(words)
        scores.append(float(alt.get("confidence", 0.0)))
    posteriors = _softmax(scores)
    return tuple(
        Hypothesis(text=t, score=p, words=_word_confidences(ws, word_lists, posteriors))
        for t, ws, p in zip(texts, word_lists, posteriors, strict=True)
    )


def _word_confidences(
    words: tuple[Word, ...], word_lists: list[tuple[Word, ...]], posteriors: list[float]
) -> tuple[Word, ...]:
    def support(word: Word) -> float:
        middle = (word.start + word.end) / 2
        return sum(
            p
            for other, p in zip(word_lists, posteriors, strict=True)
            if any(o.word == word.word and o.start <= middle <= o.end for o in other)
        )

    return tuple(Word(w.word, w.start, w.end, round(min(1.0, support(w)), 4)) for w in words)


def _softmax(scores: list[float]) -> list[float]:
    if not scores:
        return []
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [round(e / total, 4) for e in exps]


def _word(raw: dict[str, Any], offset: float, confidence: float) -> Word:
    return Word(
        word=str(raw["word"]),
        start=round(max(0.0, float(raw["start"]) - offset), 3),
        end=round(max(0.0, float(raw["end"]) - offset), 3),
        confidence=round(confidence, 4),
    )


def _is_filler(token: str) -> bool:
    return token.startswith("[") and token.endswith("]")


def _clean_text(text: str) -> str:
    return join_words(t for t in text.split() if not _is_filler(t))
