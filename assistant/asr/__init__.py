"""Speech recognition: engine-neutral protocols, the vosk engine, model management.

Public API::

    Transcriber, StreamingSession     the protocols callers code against
    AsyncSession                      a session whose decoding runs off the loop
    Listener                          VAD endpointing + recognition -> events
    Partial, Final (= FinalResult), SpeechStarted, SpeechEnded, BargeIn, WakeHeard
    event_to_dict / event_from_dict   JSON round trip of every event
    VoskTranscriber, load_model       the vosk engine (one Model per process)
    RecognizerPool, decoder_pool      bounded pool of warm open-recognition recognizers
    select_model, ModelChoice         which model to use (of a language, when asked)
    model_language, check_language    what a model hears; refusing one of another language
    transcriber_from_settings         select + load the configured model
    transcribe_file, FileTranscript   whole-file decoding
"""

# Names are imported on first use (PEP 562), so importing one submodule does
# not load every engine and numpy with it: the CLI's start-up depends on it.
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.asr.aio import AsyncSession
    from assistant.asr.base import StreamingSession, Transcriber
    from assistant.asr.events import (
        BargeIn,
        Event,
        Final,
        FinalResult,
        Partial,
        SpeechEnded,
        SpeechStarted,
        WakeHeard,
        event_from_dict,
        event_to_dict,
    )
    from assistant.asr.factory import transcriber_from_settings
    from assistant.asr.filetranscribe import FileTranscript, transcribe_file, transcribe_source
    from assistant.asr.language import check_language, model_language
    from assistant.asr.listener import Listener
    from assistant.asr.locate import ModelChoice, select_model
    from assistant.asr.pool import RecognizerPool
    from assistant.asr.vosk_engine import (
        LoadedModel,
        VoskSession,
        VoskTranscriber,
        decoder_pool,
        load_model,
    )

_WHERE = {
    "AsyncSession": "assistant.asr.aio",
    "BargeIn": "assistant.asr.events",
    "Event": "assistant.asr.events",
    "FileTranscript": "assistant.asr.filetranscribe",
    "Final": "assistant.asr.events",
    "FinalResult": "assistant.asr.events",
    "Listener": "assistant.asr.listener",
    "LoadedModel": "assistant.asr.vosk_engine",
    "ModelChoice": "assistant.asr.locate",
    "Partial": "assistant.asr.events",
    "RecognizerPool": "assistant.asr.pool",
    "SpeechEnded": "assistant.asr.events",
    "SpeechStarted": "assistant.asr.events",
    "StreamingSession": "assistant.asr.base",
    "Transcriber": "assistant.asr.base",
    "VoskSession": "assistant.asr.vosk_engine",
    "VoskTranscriber": "assistant.asr.vosk_engine",
    "WakeHeard": "assistant.asr.events",
    "check_language": "assistant.asr.language",
    "decoder_pool": "assistant.asr.vosk_engine",
    "event_from_dict": "assistant.asr.events",
    "event_to_dict": "assistant.asr.events",
    "load_model": "assistant.asr.vosk_engine",
    "model_language": "assistant.asr.language",
    "select_model": "assistant.asr.locate",
    "transcribe_file": "assistant.asr.filetranscribe",
    "transcribe_source": "assistant.asr.filetranscribe",
    "transcriber_from_settings": "assistant.asr.factory",
}

__all__ = [
    "AsyncSession",
    "BargeIn",
    "Event",
    "FileTranscript",
    "Final",
    "FinalResult",
    "Listener",
    "LoadedModel",
    "ModelChoice",
    "Partial",
    "RecognizerPool",
    "SpeechEnded",
    "SpeechStarted",
    "StreamingSession",
    "Transcriber",
    "VoskSession",
    "VoskTranscriber",
    "WakeHeard",
    "check_language",
    "decoder_pool",
    "event_from_dict",
    "event_to_dict",
    "load_model",
    "model_language",
    "select_model",
    "transcribe_file",
    "transcribe_source",
    "transcriber_from_settings",
]


def __getattr__(name: str) -> Any:
    """Import ``name`` from its submodule when first asked for."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
