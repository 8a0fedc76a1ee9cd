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
