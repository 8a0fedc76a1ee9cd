"""The pocketsphinx engine: English speech with the model PyPI's wheel ships.

``pip install 'drivetalk[sphinx]'`` brings pocketsphinx 5 with an English
acoustic model, dictionary and n-gram model inside the wheel, so English
speech goes through the whole pipeline without downloading anything. Open
recognition uses a domain model generated from the intent grammar and the
directory's names, mixed with the stock one (:mod:`assistant.asr.sphinx_lm`);
a session given phrases (a yes/no, a choice, names) decodes with a JSGF
grammar of exactly those phrases.

pocketsphinx decoders are not thread-safe and hold their own copy of the
models (~20 MB each), so they are pooled per process like vosk's
(``[asr] decoders``): a session takes one when its audio first arrives
(decoding starts once the VAD hears speech; unlike vosk's sessions it waits
there, without buffering, when all are busy) and gives it back when closed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from assistant.asr.claim import PoolClaim
from assistant.asr.events import Final, Partial
from assistant.asr.g2p import guess_phones
from assistant.asr.lm_corpus import corpus_source
from assistant.asr.pool import RecognizerPool
from assistant.asr.sphinx_lm import DomainModel, domain_model, shipped_dictionary
from assistant.asr.vosk_engine import decoders_for
from assistant.asr.vosk_session import DECODER_WAIT_S
from assistant.errors import ASRError, AudioFormatError, ModelNotFoundError
from assistant.models import Hypothesis, Word

log = logging.getLogger(__name__)

#: What to install when pocketsphinx is missing.
INSTALL = "pip install 'drivetalk[sphinx]' (PyPI's pocketsphinx 5, English model included)"
#: pocketsphinx's acoustic model rate and frame rate.
SAMPLE_RATE = 16000
FRAMES_PER_SECOND = 100
#: Tokens pocketsphinx puts in a segmentation that are not words.
_NOT_WORDS = frozenset({"<s>", "</s>", "<sil>", "[noise]", "<unk>"})
#: A faint noise floor added to the audio, dBFS RMS. On digital silence (a
#: synthetic recording's pauses, a muted microphone) pocketsphinx's features
#: leave what its acoustic model was trained on: "hey drive talk" in clean
#: espeak-ng renders was heard in 2 of 20 with none, 7 at -70 dBFS, 19 at -60
#: and -55 (BENCHMARKS.md, "Wake phrase in English"). In a car it is far
#: under the cabin noise (at 20 dB SNR that is about -44 dBFS); only near
#: digital silence does it change what the features see.
NOISE_FLOOR_DBFS = -55.0
#: Where the live cepstral mean normalization starts (its first value is the
#: mean log energy). The wheel's default, 40, suits quieter audio than a
#: levelled microphone's: a fresh decoder heard "hey drive talk" at -24 and
#: -14 dBFS as "think" in 2-4 of 10 clean renders, with 50 in none, and still
#: 9 of 10 at -44 dBFS. The mean then follows the audio as it comes.
CMN_INIT = "50,3,-1"
_POOLS: dict[str, RecognizerPool[Any]] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class SphinxModel:
    """The shipped English acoustic model with the domain language model."""

    hmm: Path
    dictionary: Path
    domain: DomainModel
    load_seconds: float
    path: Path = field(default=Path())

    @property
    def key(self) -> str:
        """Identifies the models a decoder is built from."""
        return f"{self.hmm}:{self.domain.key}"


def shipped_model_dir() -> Path:
    """Where pocketsphinx's wheel keeps its English model; ModelNotFoundError if absent."""
    try:
        import pocketsphinx
    except ImportError as exc:
        raise ModelNotFoundError(f"the pocketsphinx engine is not installed: {INSTALL}") from exc
    root = Path(pocketsphinx.get_model_path()) / "en-us"
    needed = (root / "en-us", root / "cmudict-en-us.dict", root / "en-us.lm.bin")
    missing = [p.name for p in needed if not p.exists()]
    if missing:
        raise ModelNotFoundError(
            f"pocketsphinx's English model is incomplete at {root} (missing "
            f"{', '.join(missing)}): reinstall it with {INSTALL}"
        )
    return root


def load_sphinx_model(names: Sequence[str], cache_dir: Path, locale: str = "en") -> SphinxModel:
    """The shipped model and the domain model for ``names`` (built once, then cached)."""
    root = shipped_model_dir()
    started = time.perf_counter()
    domain = domain_model(
        locale,
        names,
        stock=root / "en-us.lm.bin",
        dictionary=root / "cmudict-en-us.dict",
        cache_dir=cache_dir,
    )
    return SphinxModel(
        hmm=root / "en-us",
        dictionary=root / "cmudict-en-us.dict",
        domain=domain,
        load_seconds=time.perf_counter() - started,
        path=root,
    )


def _new_decoder(model: SphinxModel) -> Any:
    import pocketsphinx

    try:
        return pocketsphinx.Decoder(
            hmm=str(model.hmm),
            lm=str(model.domain.lm_path),
            dict=str(model.domain.dict_path),
            samprate=SAMPLE_RATE,
            cmninit=CMN_INIT,
            loglevel="FATAL",
        )
    except Exception as exc:  # the binding raises bare RuntimeError
        raise ASRError(f"pocketsphinx could not load its model from {model.hmm}") from exc


def sphinx_pool(model: SphinxModel, decoders: int | None = None) -> RecognizerPool[Any]:
    """The process-wide pool of decoders on ``model`` (sized like vosk's)."""
    with _LOCK:
        pool = _POOLS.get(model.key)
        if pool is None:
            pool = _POOLS[model.key] = RecognizerPool(
                lambda: _new_decoder(model), decoders_for(decoders or 0)
            )
    if decoders is not None and pool.size != decoders_for(decoders):
        pool.resize(decoders_for(decoders))
    return pool


def forget_pools() -> None:
    """Drop every pooled decoder: the next session opens a fresh one.

    A pooled decoder keeps what earlier audio taught its live cepstral mean,
    so what it hears depends on who used it before; a test that specifies
    one recognition starts from fresh decoders to be independent of order.
    """
    with _LOCK:
        _POOLS.clear()


class SphinxTranscriber:
    """:class:`~assistant.asr.base.Transcriber` over pocketsphinx's English model."""

    name = "pocketsphinx"
    language = "en"

    def __init__(
        self,
        model: SphinxModel,
        *,
        alternatives: int = 5,
        decoders: int | None = None,
        decoder_wait: float = DECODER_WAIT_S,
    ) -> None:
        self.model = model
        self.alternatives = max(1, alternatives)
        self.pool = sphinx_pool(model, decoders)
        self.decoder_wait = decoder_wait

    @property
    def sample_rate(self) -> int:
        """The rate sessions expect."""
        return SAMPLE_RATE

    def open_session(
        self, grammar: Sequence[str] | None = None, *, alternatives: int | None = None
    ) -> SphinxSession:
        """A session; ``grammar`` phrases become a JSGF grammar (cheap: built per utterance)."""
        phrases = _grammar_phrases(grammar or (), self.model)
        return SphinxSession(
            self.pool, phrases, alternatives or self.alternatives, self.decoder_wait, self.model
        )


def _grammar_phrases(phrases: Sequence[str], model: SphinxModel) -> tuple[str, ...]:
    """The phrases every word of which can be pronounced (others are left out, logged).

    None at all (open recognition with the domain model, which knows the
    short answers too) when a phrase goes on with free text: a grammar would
    cut "change the message to <the new text>" after "to". A one-word phrase
    never does: "to" alone is a word the grammar may hear (a wake phrase's
    filler), not the lead-in of a dictated text.
    """
    normalized = list(dict.fromkeys(" ".join(p.lower().split()) for p in phrases))
    open_ended = [p for p in normalized if len(p.split()) > 1 and p.split()[-1] in _open_ended()]
    if open_ended:
        log.debug("open recognition: %s goes on with free text", open_ended[0])
        return ()
    kept, left = [], []
    for phrase in normalized:
        words = phrase.split()
        if words and all(_pronounceable(w, model) for w in words):
            kept.append(phrase)
        elif words:
            left.append(phrase)
    if left:
        log.info("left out of the grammar (unpronounceable): %s", ", ".join(left))
    return tuple(kept)


@cache
def _open_ended(locale: str = "en") -> frozenset[str]:
    """Words after which an expected phrase goes on with free text (lm/<locale>.yaml)."""
    extra = corpus_source(locale, ()).extra
    return frozenset(str(w) for w in extra.get("open_ended", ()))


def _pronounceable(word: str, model: SphinxModel) -> bool:
    return bool(shipped_dictionary(model.dictionary).phones(word)) or guess_phones(word) is not None


def jsgf(phrases: Sequence[str]) -> str:
    """A JSGF grammar accepting exactly one of ``phrases``."""
    quoted = " | ".join(" ".join(_jsgf_word(w) for w in p.split()) for p in phrases)
    return f"#JSGF V1.0;\ngrammar drivetalk;\npublic <answer> = {quoted};\n"


def _jsgf_word(word: str) -> str:
    # JSGF tokens may not hold its operators; quoted tokens may hold anything else.
    return f'"{word}"' if any(c in word for c in "|*+<>()[]{};=/\\!#") else word


class SphinxSession:
    """:class:`~assistant.asr.base.StreamingSession` on a pooled pocketsphinx decoder."""

    def __init__(
        self,
        pool: RecognizerPool[Any],
        phrases: tuple[str, ...],
        alternatives: int,
        wait: float,
        model: SphinxModel,
    ) -> None:
        self._pool = pool
        self._phrases = phrases
        self._alternatives = alternatives
        self._model = model
        self._decoder: Any = None
        self._in_utterance = False
        self._last_partial = ""
        self._claim: PoolClaim[Any] = PoolClaim(pool, wait)
        # Seeded: the same audio is decoded the same way every time.
        self._hiss = np.random.default_rng(0)

    def _floored(self, pcm: bytes) -> bytes:
        """``pcm`` with the :data:`NOISE_FLOOR_DBFS` hiss added."""
        samples = np.frombuffer(pcm, "<i2").astype(np.float32)
        sigma = 32768.0 * 10 ** (NOISE_FLOOR_DBFS / 20)
        samples += self._hiss.normal(0.0, sigma, samples.size).astype(np.float32)
        return np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes()

    @property
    def constrained(self) -> bool:
        """True when a grammar of the expected phrases is active."""
        return bool(self._phrases)

    def accept(self, pcm: bytes) -> list[Partial]:
        """Decode int16 mono PCM; a Partial when the running transcript changed."""
        if len(pcm) % 2:
            raise AudioFormatError("16-bit PCM chunk has an odd number of bytes")
        decoder = self._utterance()
        try:
            decoder.process_raw(self._floored(pcm), False, False)
            hyp = decoder.hyp()
        except Exception as exc:
            self._discard()
            raise ASRError("pocketsphinx failed while decoding") from exc
        text = hyp.hypstr if hyp is not None else ""
        if text == self._last_partial:
            return []
        self._last_partial = text
        return [Partial(text)]

    def finish(self) -> Final:
        """End the utterance; its text, n-best and words. The session can go on."""
        self._check_open()
        if not self._in_utterance:
            return Final(text="")
        decoder = self._decoder
        self._in_utterance = False
        self._last_partial = ""
        try:
            decoder.end_utt()
            return _final(decoder, self._alternatives)
        except Exception as exc:
            self._discard()
            raise ASRError("pocketsphinx failed while finishing the utterance") from exc

    def interrupt(self) -> None:
        """Mark the session closed and end any wait for a decoder; thread-safe."""
        self._claim.interrupt()

    def close(self) -> None:
        """Give the decoder back; the session is unusable afterwards."""
        self.interrupt()
        decoder, self._decoder = self._decoder, None
        if decoder is None:
            return
        try:
            if self._in_utterance:
                decoder.end_utt()
            _use_language_model(decoder)
        except Exception:
            self._pool.discard(decoder)
            return
        self._in_utterance = False
        self._pool.release(decoder)

    def _check_open(self) -> None:
        self._claim.check_open()

    def _utterance(self) -> Any:
        self._check_open()
        if self._decoder is None:
            self._decoder = self._claim.acquire()
            try:
                _use_grammar(self._decoder, self._phrases, self._model)
            except Exception as exc:
                self._discard()
                raise ASRError("pocketsphinx could not use the grammar") from exc
        if not self._in_utterance:
            self._decoder.start_utt()
            self._in_utterance = True
        return self._decoder

    def _discard(self) -> None:
        decoder, self._decoder = self._decoder, None
        self._in_utterance = False
        if decoder is not None:
            self._pool.discard(decoder)


_GRAMMAR_SEARCH = "drivetalk-grammar"
_LM_SEARCH = "_default"


def _use_grammar(decoder: Any, phrases: tuple[str, ...], model: SphinxModel) -> None:
    if not phrases:
        return
    pron = shipped_dictionary(model.dictionary)
    for word in {w for p in phrases for w in p.split()}:
        if decoder.lookup_word(word) is None:
            phones = pron.phones(word)
            decoder.add_word(word, phones[0] if phones else guess_phones(word), True)
    decoder.add_jsgf_string(_GRAMMAR_SEARCH, jsgf(phrases))
    decoder.activate_search(_GRAMMAR_SEARCH)


def _use_language_model(decoder: Any) -> None:
    if decoder.current_search() != _LM_SEARCH:
        decoder.activate_search(_LM_SEARCH)
        decoder.remove_search(_GRAMMAR_SEARCH)


def _final(decoder: Any, alternatives: int) -> Final:
    """The Final of a finished utterance: best first, then the n-best, scores normalized."""
    best = decoder.hyp()
    if best is None or not best.hypstr.strip():
        return Final(text="")
    words = tuple(_words(decoder.seg()))
    texts: list[str] = [best.hypstr]
    scores: list[float] = [float(best.score)]
    for hyp in decoder.nbest():
        if len(texts) >= alternatives:
            break
        if hyp is None or hyp.hypstr is None:
            continue  # the n-best search can yield an empty entry (seen with dither)
        text = " ".join(hyp.hypstr.split())
        if text and text not in texts:
            texts.append(text)
            scores.append(float(hyp.score))
    scores[0] = max(scores)  # the best path outranks its n-best rivals
    total = sum(scores) or 1.0
    hypotheses = tuple(
        Hypothesis(text=t, score=round(s / total, 4), words=words if i == 0 else ())
        for i, (t, s) in enumerate(zip(texts, scores, strict=True))
    )
    return Final(text=texts[0], alternatives=hypotheses, words=words)


def _words(segments: Any) -> list[Word]:
    out = []
    for seg in segments:
        word = seg.word.split("(", 1)[0]
        if word in _NOT_WORDS or word.startswith("+"):
            continue  # silence, filler (+breath+) and sentence marks
        out.append(
            Word(
                word=word,
                start=round(seg.start_frame / FRAMES_PER_SECOND, 3),
                end=round((seg.end_frame + 1) / FRAMES_PER_SECOND, 3),
                confidence=round(min(1.0, max(0.0, float(seg.prob))), 4),
            )
        )
    return out
