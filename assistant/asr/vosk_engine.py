"""The vosk engine: one shared Model per process, one recognizer per session.

vosk models are read-only after loading and safe to share between threads,
so :func:`load_model` caches them by resolved path; loading takes seconds
and hundreds of megabytes, a recognizer takes milliseconds and a few.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.asr.events import Final, Partial
from assistant.asr.modeldir import check_model_dir, model_sample_rate, supports_grammar
from assistant.asr.results import merge_segments, parse_result
from assistant.errors import ASRError, AudioFormatError, ModelError
from assistant.models import Hypothesis

log = logging.getLogger(__name__)

_CACHE: dict[Path, LoadedModel] = {}
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
    """:class:`~assistant.asr.base.Transcriber` over a shared vosk model."""

    name = "vosk"

    def __init__(self, model: LoadedModel, *, alternatives: int = 5) -> None:
        self.model = model
        self.alternatives = max(1, alternatives)

    @classmethod
    def from_path(cls, path: Path, *, alternatives: int = 5) -> VoskTranscriber:
        """Load (or reuse) the model at ``path``."""
        return cls(load_model(path), alternatives=alternatives)

    @property
    def sample_rate(self) -> int:
        """The rate sessions expect."""
        return self.model.sample_rate

    def out_of_vocabulary(self, phrases: Sequence[str]) -> tuple[str, ...]:
        """Words of ``phrases`` the model cannot recognize."""
        words = dict.fromkeys(w for p in phrases for w in _normalize(p).split())
        return tuple(w for w in words if not self.model.in_vocabulary(w))

    def grammar_json(self, phrases: Sequence[str]) -> str | None:
        """The runtime grammar for ``phrases``, or None when open recognition must be used."""
        normalized = [p for p in dict.fromkeys(_normalize(p) for p in phrases) if p]
        if not normalized or not self.model.supports_grammar:
            return None
        oov = self.out_of_vocabulary(normalized)
        if oov:
            log.info("open recognition: not in the model's vocabulary: %s", ", ".join(oov))
            return None
        if self.model.in_vocabulary("[unk]"):
            normalized.append("[unk]")  # lets out-of-grammar speech come out as filler
        # vosk does not decode JSON \u escapes: the words must be raw UTF-8.
        return json.dumps(normalized, ensure_ascii=False)

    def open_session(
        self, grammar: Sequence[str] | None = None, *, alternatives: int | None = None
    ) -> VoskSession:
        """A new recognizer on the shared model."""
        grammar_json = self.grammar_json(grammar) if grammar else None
        return VoskSession(self.model, grammar_json, alternatives or self.alternatives)


def _normalize(phrase: str) -> str:
    return " ".join(phrase.lower().split())


class VoskSession:
    """:class:`~assistant.asr.base.StreamingSession` over one KaldiRecognizer.

    The recognizer is replaced after every utterance: on a lookahead model
    each recognizer grows a composition cache of up to 32 MB while decoding,
    and dropping it at :meth:`finish` means an idle session (a connected car
    nobody is talking in) holds almost nothing. A fresh recognizer also
    restarts word times at zero, which is what ``Word`` promises.
    """

    def __init__(self, model: LoadedModel, grammar_json: str | None, alternatives: int) -> None:
        self._model = model
        self._grammar = grammar_json
        self._alternatives = alternatives
        self._segments: list[tuple[Hypothesis, ...]] = []
        self._last_partial = ""
        self._closed = False
        self._rec: Any = self._new_recognizer()  # now, so a bad grammar fails at open

    def _new_recognizer(self) -> Any:
        import vosk

        args: list[Any] = [self._model.handle, float(self._model.sample_rate)]
        if self._grammar:
            args.append(self._grammar)
        try:
            rec = vosk.KaldiRecognizer(*args)
        except Exception as exc:
            raise ASRError("vosk could not create a recognizer") from exc
        rec.SetWords(True)
        # 0 = single best with per-word confidences; >1 = n-best list.
        rec.SetMaxAlternatives(self._alternatives if self._alternatives > 1 else 0)
        return rec

    def _recognizer(self) -> Any:
        if self._closed:
            raise ASRError("the recognition session is closed")
        if self._rec is None:
            self._rec = self._new_recognizer()
        return self._rec

    @property
    def constrained(self) -> bool:
        """True when a runtime grammar is active."""
        return self._grammar is not None

    def accept(self, pcm: bytes) -> list[Partial]:
        """Decode int16 mono PCM; a Partial when the running transcript changed."""
        if len(pcm) % 2:
            raise AudioFormatError("16-bit PCM chunk has an odd number of bytes")
        rec = self._recognizer()
        try:
            if rec.AcceptWaveform(pcm):
                self._segments.append(parse_result(rec.Result()))
                current = ""
            else:
                current = json.loads(rec.PartialResult()).get("partial", "")
        except ASRError:
            raise
        except Exception as exc:
            raise ASRError("vosk failed while decoding") from exc
        done = [s[0].text for s in self._segments if s]
        text = " ".join([*done, *(t for t in current.split() if not _is_filler(t))])
        if text == self._last_partial:
            return []
        self._last_partial = text
        return [Partial(text)]

    def finish(self) -> Final:
        """Flush the decoder and return the utterance's result; ready for the next one."""
        rec = self._recognizer()
        try:
            self._segments.append(parse_result(rec.FinalResult()))
        except ASRError:
            raise
        except Exception as exc:
            raise ASRError("vosk failed while finishing the utterance") from exc
        final = merge_segments(self._segments)
        self._segments = []
        self._last_partial = ""
        self._rec = None
        return final

    def close(self) -> None:
        """Free the recognizer; the session is unusable afterwards."""
        self._closed = True
        self._rec = None


def _is_filler(token: str) -> bool:
    return token.startswith("[") and token.endswith("]")
