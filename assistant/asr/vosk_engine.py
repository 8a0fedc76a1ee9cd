"""The vosk engine: one shared Model per process, and one pool of its recognizers.

vosk models are read-only after loading and safe to share between threads,
so :func:`load_model` caches them by resolved path; loading takes seconds
and hundreds of megabytes. An open-recognition recognizer on a lookahead
model grows a ~32 MB graph cache while decoding, so those are pooled per
model (:func:`decoder_pool`, ``[asr] decoders``) and reused warm; a grammar
recognizer is cheap and belongs to its session (see ``vosk_session``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.asr.decoder import Decoder
from assistant.asr.hanzi import has_han, to_model_words, uncovered
from assistant.asr.modeldir import check_model_dir, model_sample_rate, supports_grammar
from assistant.asr.pool import RecognizerPool
from assistant.asr.vosk_session import DECODER_WAIT_S, VoskSession
from assistant.errors import ModelError

log = logging.getLogger(__name__)

_CACHE: dict[Path, LoadedModel] = {}
_POOLS: dict[Path, RecognizerPool[Decoder]] = {}
_CACHE_LOCK = threading.Lock()

#: vosk's word id for a word missing from the model's vocabulary.
_NOT_IN_VOCABULARY = -1


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A loaded vosk model and what we know about it."""

    path: Path
    sample_rate: int
    load_seconds: float
    supports_grammar: bool
    handle: Any = field(repr=False, compare=False)

    def in_vocabulary(self, word: str) -> bool:
        """Whether the model's vocabulary has ``word``."""
        return bool(self.handle.vosk_model_find_word(word) != _NOT_IN_VOCABULARY)


def load_model(path: Path) -> LoadedModel:
    """Load the model at ``path`` once per process; later calls return the same one."""
    key = path.resolve()
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = _load(key)
        return _CACHE[key]


def _load(path: Path) -> LoadedModel:
    check_model_dir(path)
    import vosk

    vosk.SetLogLevel(-1)
    started = time.perf_counter()
    try:
        handle = vosk.Model(str(path))
    except Exception as exc:  # vosk raises a bare Exception
        raise ModelError(f"vosk could not load the speech model at {path}") from exc
    elapsed = time.perf_counter() - started
    log.info("loaded vosk model %s in %.2f s", path, elapsed)
    return LoadedModel(
        path=path,
        sample_rate=model_sample_rate(path),
        load_seconds=elapsed,
        supports_grammar=supports_grammar(path),
        handle=handle,
    )


class VoskTranscriber:
    """:class:`~assistant.asr.base.Transcriber` over a shared vosk model.

    Open-recognition sessions share the model's recognizer pool: at most
    ``decoders`` recognizers (0 = one per CPU core; None = leave the pool as
    sized) decode at once in the process; ``decoder_wait`` is how long a
    session waits for one at most. ``pool`` replaces the process-wide pool
    (tests, benchmarks). ``language`` is the ISO 639-1 code of what the
    model hears (None: unknown), as :mod:`assistant.asr.language` found it.
    """

    name = "vosk"

    def __init__(
        self,
        model: LoadedModel,
        *,
        alternatives: int = 5,
        decoders: int | None = None,
        decoder_wait: float = DECODER_WAIT_S,
        pool: RecognizerPool[Decoder] | None = None,
        language: str | None = None,
    ) -> None:
        self.model = model
        self.language = language
        self.alternatives = max(1, alternatives)
        self.pool = pool or decoder_pool(model, decoders)
        self.decoder_wait = decoder_wait

    @classmethod
    def from_path(
        cls,
        path: Path,
        *,
        alternatives: int = 5,
        decoders: int | None = None,
        decoder_wait: float = DECODER_WAIT_S,
        language: str | None = None,
    ) -> VoskTranscriber:
        """Load (or reuse) the model at ``path``."""
        return cls(
            load_model(path),
            alternatives=alternatives,
            decoders=decoders,
            decoder_wait=decoder_wait,
            language=language,
        )

    @property
    def sample_rate(self) -> int:
        """The rate sessions expect."""
        return self.model.sample_rate

    def out_of_vocabulary(self, phrases: Sequence[str]) -> tuple[str, ...]:
        """Words of ``phrases`` the model cannot recognize (characters, for Chinese)."""
        known = self.model.in_vocabulary
        missing: list[str] = []
        for word in (w for p in phrases for w in _normalize(p).split()):
            if has_han(word):
                missing += uncovered(word, known)
            elif not known(word):
                missing.append(word)
        return tuple(dict.fromkeys(missing))

    def model_words(self, phrase: str) -> str | None:
        """``phrase`` as the model's words (Chinese cut by its lexicon), or None if it cannot be."""
        words: list[str] = []
        for token in _normalize(phrase).split():
            cut = to_model_words(token, self.model.in_vocabulary) if has_han(token) else [token]
            if cut is None:
                return None
            words += cut
        return " ".join(words)

    def grammar_json(self, phrases: Sequence[str]) -> str | None:
        """The runtime grammar for ``phrases``, or None when open recognition must be used."""
        normalized = [p for p in dict.fromkeys(_normalize(p) for p in phrases) if p]
        if not normalized or not self.model.supports_grammar:
            return None
        oov = self.out_of_vocabulary(normalized)
        if oov:
            log.info("open recognition: not in the model's vocabulary: %s", ", ".join(oov))
            return None
        normalized = [w for p in normalized if (w := self.model_words(p))]
        if self.model.in_vocabulary("[unk]"):
            normalized.append("[unk]")  # lets out-of-grammar speech come out as filler
        # vosk does not decode JSON \u escapes: the words must be raw UTF-8.
        return json.dumps(normalized, ensure_ascii=False)

    def open_session(
        self, grammar: Sequence[str] | None = None, *, alternatives: int | None = None
    ) -> VoskSession:
        """A new session on the shared model (no recognizer is taken before audio arrives)."""
        grammar_json = self.grammar_json(grammar) if grammar else None
        return VoskSession(
            self.model,
            grammar_json,
            alternatives or self.alternatives,
            pool=self.pool,
            wait=self.decoder_wait,
        )


def _normalize(phrase: str) -> str:
    return " ".join(phrase.lower().split())


def decoders_for(setting: int) -> int:
    """The pool size ``[asr] decoders`` asks for: 0 means one per CPU core."""
    if setting < 0:
        raise ValueError("the number of decoders cannot be negative")
    return setting or os.cpu_count() or 1


def new_decoder_pool(model: LoadedModel, size: int) -> RecognizerPool[Decoder]:
    """A pool of open-recognition recognizers on ``model`` (use :func:`decoder_pool`)."""
    return RecognizerPool(
        lambda: Decoder.create(model.handle, model.sample_rate), size, reset=Decoder.settle
    )


def decoder_pool(model: LoadedModel, decoders: int | None = None) -> RecognizerPool[Decoder]:
    """The process-wide pool of ``model``'s open-recognition recognizers.

    One pool per model per process, however many transcribers share it: the
    bound on composed graphs (memory) holds for the whole process.
    ``decoders`` (``[asr] decoders``; 0 = one per core) sizes it, resizing
    an existing pool; None keeps an existing pool's size (one per core if new).
    """
    with _CACHE_LOCK:
        pool = _POOLS.get(model.path)
        if pool is None:
            size = decoders_for(decoders or 0)
            pool = _POOLS[model.path] = new_decoder_pool(model, size)
    if decoders is not None and pool.size != decoders_for(decoders):
        log.info("speech decoders for %s: %d -> %d", model.path, pool.size, decoders_for(decoders))
        pool.resize(decoders_for(decoders))
    return pool
