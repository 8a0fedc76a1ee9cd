"""Real Mandarin speech with pyttsx3 on espeak-ng: pinyin voice, mixed scripts, by locale."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.config import TTSSettings
from assistant.errors import TTSError
from assistant.tts import LocaleVoice, Synthesizer, Voice, locale_voice
from assistant.tts.speaker import sentences

pytestmark = pytest.mark.espeak


@pytest.fixture(scope="module")
def zh() -> Iterator[Synthesizer]:
    engine = Synthesizer(locale_voice(TTSSettings(), "zh"))
    engine.start()
    yield engine
    engine.close()


def test_a_chinese_reply_lasts_as_long_as_its_syllables(zh: Synthesizer) -> None:
    audio = zh.synthesize("好的，已经发给张三了。")  # ten syllables and a pause
    assert (audio.sample_rate, audio.channels) == (22050, 1)
    assert 1.5 < audio.duration < 4.5


def test_a_latin_name_in_a_chinese_sentence_is_spoken_by_the_english_voice(
    zh: Synthesizer,
) -> None:
    runs = zh.plan("给David发个消息")
    assert [(r.script, zh.locale_voice.for_run(r).voice) for r in runs] == [
        ("han", "cmn-latn-pinyin"),
        ("latin", None),  # the English voice: espeak's default
        ("han", "cmn-latn-pinyin"),
    ]
    with_name = zh.synthesize("给David发个消息")
    without = zh.synthesize("给发个消息")
    assert with_name.duration > without.duration + 0.2


def test_an_english_reply_says_a_chinese_name_instead_of_spelling_its_script() -> None:
    english = Synthesizer(Voice())
    # The English voice alone given the characters: "Chinese letter, Chinese letter".
    letters = Synthesizer(LocaleVoice("en", Voice(), Voice()))
    try:
        named = english.synthesize("Sent to 李娜.")
        spelled = letters.synthesize("Sent to 李娜.")
    finally:
        english.close()
        letters.close()
    assert named.duration < spelled.duration - 0.5


def test_an_unknown_mandarin_voice_is_a_clear_error() -> None:
    engine = Synthesizer(LocaleVoice("zh", Voice(), Voice("no-such-voice")))
    try:
        with pytest.raises(TTSError, match="no espeak voice 'no-such-voice'"):
            engine.start()
    finally:
        engine.close()


def test_chinese_replies_stream_sentence_by_sentence() -> None:
    assert sentences("好的。发给李娜吗？ Say yes.") == ["好的。", "发给李娜吗？", "Say yes."]
