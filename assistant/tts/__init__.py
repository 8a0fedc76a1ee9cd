"""Spoken replies: pyttsx3 on espeak-ng in one worker thread, played on the local device.

``open_speaker`` builds what the configuration asks for and says clearly
when speech cannot work here (no espeak, no audio device); ``locale_voice``
reads a conversation locale's voices from ``[tts]``.
"""

from __future__ import annotations

from assistant.errors import TTSUnavailableError
from assistant.tts.audio import Audio
from assistant.tts.player import DevicePlayer
from assistant.tts.speaker import Speaker, TextOnlySpeaker, VoiceSpeaker
from assistant.tts.synth import LocaleVoice, Synthesizer, Voice
from assistant.tts.voices import locale_voice

__all__ = [
    "Audio",
    "DevicePlayer",
    "LocaleVoice",
    "Speaker",
    "Synthesizer",
    "TextOnlySpeaker",
    "Voice",
    "VoiceSpeaker",
    "locale_voice",
    "open_speaker",
]


def open_speaker(voice: Voice | LocaleVoice, *, timeout: float = 15.0) -> VoiceSpeaker:
    """A speaker on the default audio device; raises TTSUnavailableError if impossible."""
    player = DevicePlayer()
    synth = Synthesizer(voice, timeout=timeout)
    try:
        synth.start()
    except TTSUnavailableError:
        synth.close()
        raise
    return VoiceSpeaker(synth, player)
