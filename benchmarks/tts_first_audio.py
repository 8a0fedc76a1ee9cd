"""Benchmark: time to first TTS audio (pyttsx3 on espeak-ng, one worker thread).

For a one-sentence reply the first audio is the whole sentence; for longer
replies the speaker streams sentence by sentence, so the first audio is the
first sentence. Also reports the real-time factor of whole replies.
``--locale zh``: Chinese replies through the Mandarin voice (pinyin, a Latin
name by the English voice, runs joined), same measurements.

    .venv/bin/python benchmarks/tts_first_audio.py [--rounds 50] [--locale zh]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import time

from assistant.config import TTSSettings
from assistant.tts import Synthesizer, locale_voice
from assistant.tts.speaker import stream_audio

ONE_SENTENCE = (
    "Sent to Li Wei.",
    "What's the message for Li Na?",
    "Next up: Sales stand-up at 9 AM today.",
)
LONG = (
    "Here's your message to Li Wei: I'll be ten minutes late, the traffic on the ring road "
    "is terrible this morning. Send it?"
)
ONE_SENTENCE_ZH = (
    "已经发给李伟了。",
    "要给李娜发什么内容？",
    "下一个：今天上午9点和David Zhang开销售例会。",
)
LONG_ZH = "这是发给李伟的消息：我晚到十分钟，今天早上环路上堵得厉害。要发送吗？"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def report(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"{name:<40} n={len(ms):4d}  p50={pct(ms, 0.5):7.2f} ms  p95={pct(ms, 0.95):7.2f} ms  "
        f"max={max(ms):7.2f} ms"
    )


async def first_chunk(synth: Synthesizer, text: str) -> float:
    t0 = time.perf_counter()
    stream = stream_audio(synth, text)
    await anext(stream)
    elapsed = time.perf_counter() - t0
    await stream.aclose()
    return elapsed


async def run(rounds: int, locale: str) -> None:
    synth = Synthesizer(locale_voice(TTSSettings(), locale))
    one_sentence, long = (ONE_SENTENCE_ZH, LONG_ZH) if locale == "zh" else (ONE_SENTENCE, LONG)
    t0 = time.perf_counter()
    synth.start()
    startup = time.perf_counter() - t0
    try:
        one, streamed, whole, rtf = [], [], [], []
        for i in range(rounds):
            text = one_sentence[i % len(one_sentence)]
            t0 = time.perf_counter()
            await synth.asynthesize(text)
            one.append(time.perf_counter() - t0)
            streamed.append(await first_chunk(synth, long))
            t0 = time.perf_counter()
            audio = await synth.asynthesize(long)
            whole.append(time.perf_counter() - t0)
            rtf.append(whole[-1] / audio.duration)
    finally:
        synth.close()
    print(
        f"locale {locale}; machine: {platform.machine()} python {platform.python_version()}; "
        f"engine start {startup * 1000:.0f} ms (once per process)"
    )
    report("one sentence -> audio (first audio)", one)
    report("long reply, streamed: first sentence", streamed)
    report("long reply, whole utterance", whole)
    print(f"real-time factor (long reply): p50={pct(rtf, 0.5):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--locale", choices=["en", "zh"], default="en")
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.locale))


if __name__ == "__main__":
    main()
