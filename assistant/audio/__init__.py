"""Audio in: WAV files, raw PCM streams and the microphone, converted to the
recognizer's format (int16 mono at the model rate) and endpointed with a VAD.

Public API::

    PcmFormat, SampleFormat          what a byte stream holds
    open_audio(path, raw=None)       a WAV (or raw PCM) file as a source
    RawPcmSource(stream, fmt)        any binary stream with a declared format
    ChunkReader / model_chunks       a source as model-rate int16 mono chunks
    PcmConverter                     streaming downmix + soxr resampling
    Microphone                       live input through sounddevice
    Endpointer, EndpointConfig       VAD endpointing, push-to-talk
"""

# Names are imported on first use (PEP 562), so importing one submodule does
# not load every engine and numpy with it: the CLI's start-up depends on it.
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.audio.convert import PcmConverter
    from assistant.audio.endpoint import Boundary, EndpointConfig, Endpointer
    from assistant.audio.formats import PcmFormat, SampleFormat
    from assistant.audio.microphone import Microphone
    from assistant.audio.sources import (
        AudioSource,
        ChunkReader,
        RawPcmSource,
        WavFileSource,
        model_chunks,
        open_audio,
    )

_WHERE = {
    "AudioSource": "assistant.audio.sources",
    "Boundary": "assistant.audio.endpoint",
    "ChunkReader": "assistant.audio.sources",
    "EndpointConfig": "assistant.audio.endpoint",
    "Endpointer": "assistant.audio.endpoint",
    "Microphone": "assistant.audio.microphone",
    "PcmConverter": "assistant.audio.convert",
    "PcmFormat": "assistant.audio.formats",
    "RawPcmSource": "assistant.audio.sources",
    "SampleFormat": "assistant.audio.formats",
    "WavFileSource": "assistant.audio.sources",
    "model_chunks": "assistant.audio.sources",
    "open_audio": "assistant.audio.sources",
}

__all__ = [
    "AudioSource",
    "Boundary",
    "ChunkReader",
    "EndpointConfig",
    "Endpointer",
    "Microphone",
    "PcmConverter",
    "PcmFormat",
    "RawPcmSource",
    "SampleFormat",
    "WavFileSource",
    "model_chunks",
    "open_audio",
]


def __getattr__(name: str) -> Any:
    """Import ``name`` from its submodule when first asked for."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
