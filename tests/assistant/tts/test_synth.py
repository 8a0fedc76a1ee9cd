"""Real speech synthesis with pyttsx3 on espeak-ng: format, duration, thread safety."""

from __future__ import annotations

import asyncio
import io
import threading
import wave
from collections.abc import Iterator

import pytest

from assistant.errors import TTSError
from assistant.tts import Synthesizer, Voice
from assistant.tts.audio import Audio, read_wav
from assistant.tts.speaker import sentences, stream_audio

pytestmark = pytest.mark.espeak


@pytest.fixture(scope="module")
def synth() -> Iterator[Synthesizer]:
    engine = Synthesizer(Voice(rate=175))
    engine.start()
    yield engine
    engine.close()


def test_one_sentence_is_mono_16_bit_speech_of_plausible_length(synth: Synthesizer) -> None:
    audio = synth.synthesize("Sent to Li Wei.")
    assert (audio.channels, audio.sample_width) == (1, 2)
    assert audio.sample_rate == 22050
    assert 0.4 < audio.duration < 3.0
    assert (
        max(
            abs(int.from_bytes(audio.pcm[i : i + 2], "little", signed=True))
            for i in range(0, len(audio.pcm), 2)
        )
        > 1000
    )  # not silence


def test_longer_text_gives_longer_audio(synth: Synthesizer) -> None:
    short = synth.synthesize("Sent.")
    long = synth.synthesize("Here's your message to Li Wei: I'll be ten minutes late. Send it?")
    assert long.duration > 2 * short.duration


def test_wav_bytes_round_trip(synth: Synthesizer) -> None:
    audio = synth.synthesize("Yes.")
    data = audio.to_wav()
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        assert wav.getnframes() == audio.frames
    assert read_wav(data) == audio


def test_rate_changes_the_duration() -> None:
    slow, fast = Synthesizer(Voice(rate=100)), Synthesizer(Voice(rate=300))
    try:
        text = "What's the message for Li Na?"
        assert slow.synthesize(text).duration > 1.5 * fast.synthesize(text).duration
    finally:
        slow.close()
        fast.close()


def test_empty_text_is_empty_audio_not_a_hang(synth: Synthesizer) -> None:
    assert synth.synthesize("   ").pcm == b""


def test_callers_on_many_threads_share_the_one_worker(synth: Synthesizer) -> None:
    results: list[Audio] = []
    threads = [
        threading.Thread(target=lambda: results.append(synth.synthesize("Next."))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 4
    assert all(r.duration > 0.1 for r in results)


def test_unknown_voice_is_a_clear_error() -> None:
    engine = Synthesizer(Voice(voice="no-such-voice"))
    try:
        with pytest.raises(TTSError, match="bad voice settings"):
            engine.start()
    finally:
        engine.close()


def test_installed_voices_are_listed(synth: Synthesizer) -> None:
    assert any("en" in v for v in synth.voices())


async def test_streaming_yields_one_clip_per_sentence(synth: Synthesizer) -> None:
    text = "Sent to Li Wei. You have two unread messages."
    clips = [clip async for clip in stream_audio(synth, text)]
    assert len(clips) == len(sentences(text)) == 2
    whole = await asyncio.to_thread(synth.synthesize, text)
    assert abs(sum(c.duration for c in clips) - whole.duration) < 1.0


def peak(audio: Audio) -> int:
    return max(
        abs(int.from_bytes(audio.pcm[i : i + 2], "little", signed=True))
        for i in range(0, len(audio.pcm), 2)
    )


def test_volume_changes_the_loudness() -> None:
    quiet, loud = Synthesizer(Voice(volume=0.2)), Synthesizer(Voice(volume=1.0))
    try:
        text = "Sent to Li Wei."
        assert peak(quiet.synthesize(text)) < 0.6 * peak(loud.synthesize(text))
    finally:
        quiet.close()
        loud.close()


def test_a_named_voice_is_used(synth: Synthesizer) -> None:
    voices = synth.voices()
    other = next(v for v in voices if v.endswith("/de"))
    german = Synthesizer(Voice(voice=other))
    try:
        text = "Sent to Li Wei."
        assert german.synthesize(text).pcm != synth.synthesize(text).pcm
    finally:
        german.close()
