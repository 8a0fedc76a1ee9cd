"""Which espeak voices speak for a locale ([tts] voice, voices, rate, zh_rate)."""

from __future__ import annotations

import pytest

from assistant.config import TTSSettings
from assistant.tts import LocaleVoice, Voice, locale_voice

CASES = [
    ("defaults, English", {}, "en", LocaleVoice("en", Voice(None), Voice("cmn-latn-pinyin"))),
    ("defaults, Chinese", {}, "zh", LocaleVoice("zh", Voice(None), Voice("cmn-latn-pinyin"))),
    (
        "voice is the English voice everywhere",
        {"voice": "en-gb"},
        "zh",
        LocaleVoice("zh", Voice("en-gb"), Voice("cmn-latn-pinyin")),
    ),
    (
        "voices per locale outrank voice",
        {"voice": "en-gb", "voices": {"en": "en-us", "zh": "cmn"}},
        "en",
        LocaleVoice("en", Voice("en-us"), Voice("cmn")),
    ),
    (
        "zh_rate is the Mandarin voice's rate only",
        {"rate": 180, "zh_rate": 150, "volume": 0.5},
        "zh",
        LocaleVoice("zh", Voice(None, 180, 0.5), Voice("cmn-latn-pinyin", 150, 0.5)),
    ),
]


@pytest.mark.parametrize(
    ("settings", "locale", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_locale_voice(settings: dict[str, object], locale: str, expected: LocaleVoice) -> None:
    assert locale_voice(TTSSettings.model_validate(settings), locale) == expected


def test_only_a_pinyin_voice_is_given_pinyin() -> None:
    assert Voice("cmn-latn-pinyin").reads_pinyin
    assert Voice("sit/cmn-latn-pinyin").reads_pinyin
    assert not Voice("cmn").reads_pinyin
    assert not Voice(None).reads_pinyin
