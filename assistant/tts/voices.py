"""Which espeak voices speak for a conversation locale (``[tts]`` settings)."""

from __future__ import annotations

from assistant.config import TTSSettings
from assistant.tts.synth import MANDARIN_VOICE, LocaleVoice, Voice


def voice_name(tts: TTSSettings, locale: str) -> str | None:
    """The espeak voice configured for ``locale`` (``[tts] voices``; English: else ``voice``)."""
    if locale in tts.voices:
        return tts.voices[locale]
    if locale == "en":
        return tts.voice
    return MANDARIN_VOICE if locale == "zh" else None


def locale_voice(tts: TTSSettings, locale: str) -> LocaleVoice:
    """The voices of a conversation in ``locale``: its Latin-script and Chinese runs.

    English: the English voice, and the Mandarin voice for a Chinese name.
    Chinese: the Mandarin voice, and the English voice for a Latin name or
    word inside a Chinese sentence.
    """
    english = Voice(voice_name(tts, "en"), tts.rate, tts.volume)
    mandarin = Voice(voice_name(tts, "zh"), tts.zh_rate or tts.rate, tts.volume)
    return LocaleVoice(locale, english, mandarin)
