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
