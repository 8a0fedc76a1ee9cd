"""Endpointing in cabin noise: silero (neural) vs webrtcvad, side by side in one run.

Usage::

    .venv/bin/python benchmarks/vad_bench.py [--scenes 24] [--noise-seconds 60] [--out FILE.md]

Scenes of three utterances each (the replay set's clean WAVs and espeak-ng
renders in several voices, levelled to -26 dBFS active speech, 1.5-3 s
pauses) are mixed with generated cabin noise (engine with rpm drift, tyre
roar, wind, fan, rain, the motorway mix) at 20, 10 and 5 dB SNR, all
deterministic from seeds. Each VAD runs the same :class:`EndpointStream`
the listener uses (same ``[asr]`` defaults: 150 ms to start, 800 ms trailing
silence), fed 100 ms chunks. Reported per VAD and SNR:

* ended by silence: share of utterances whose own segment ended on the
  trailing pause (not ``max_length``, not ``end_of_stream``, not merged
  with the next utterance, not missed);
* end error: |detected end - true end| of those, p50 / p95 (ms); the signed
  lag (detected after true end) is the latency the VAD adds before the
  trailing-silence countdown even starts;
* false starts per minute on noise alone, at the level of each SNR;
* CPU per stream: process time per second of audio (one core = 100 %),
  and the compute per 100 ms chunk (p50 / p95), which is latency too.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from assistant.audio.endpoint import EndpointConfig, EndpointStream
from assistant.audio.sources import ChunkReader, open_audio
from assistant.replay.manifest import load_manifest
from assistant.replay.noise import Samples
from assistant.replay.scenes import Scene, build_scene, noise_only
from assistant.replay.synth import OUT_RATE, speak

ROOT = Path(__file__).resolve().parent.parent
RATE = OUT_RATE
CHUNK_MS = 100
SNRS = (20.0, 10.0, 5.0)
NOISES = ("engine", "road", "wind", "fan", "rain", "cabin")
VADS = ("silero", "webrtc")
SENTENCES = (
    "send a message to Li Wei saying I am stuck in traffic",
    "what is on my calendar tomorrow afternoon",
    "read my unread messages",
    "call off the budget review on Friday",
    "tell Zhang San the report is ready",
    "yes",
    "no thanks",
    "move my three o'clock meeting to half past four",
    "who is Wang Fang",
    "reply saying I will be there in ten minutes",
    "cancel",
    "schedule lunch with Chen Jie next Tuesday at noon",
)
VOICES = (("en-us", 150), ("en-gb", 170), ("en-us+f3", 140), ("en-gb-scotland", 160))


def replay_utterances() -> list[Samples]:
    """The clean WAVs of the shipped replay set, as float samples at 16 kHz."""
    manifest = load_manifest(ROOT / "audio_samples" / "manifest.yaml")
    found = []
    for case in manifest.cases:
        if case.tags.get("noise", "none") != "none":
            continue
        for turn in case.turns:
            if turn.audio is not None:
                found.append(read_float(turn.audio))
    return found


def read_float(path: Path) -> Samples:
    """A WAV file as float32 mono samples at :data:`RATE`."""
    with open_audio(path) as source:
        pcm = b"".join(ChunkReader(source, RATE))
    return (np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0).astype(np.float32)


def espeak_utterances() -> list[Samples]:
    """Every sentence in every voice."""
    return [speak(text, voice, rate) for voice, rate in VOICES for text in SENTENCES]


def scenes(utterances: list[Samples], snr: float, count: int) -> Iterator[tuple[str, Scene]]:
    """``count`` three-utterance scenes at ``snr``, noise kinds in turn."""
    rng = np.random.default_rng(int(snr * 1000) + 7)
    for index in range(count):
        picks = rng.choice(len(utterances), 3, replace=False)
        kind = NOISES[index % len(NOISES)]
        seed = 1000 * index + int(snr)
        yield (
            kind,
            build_scene([utterances[i] for i in picks], RATE, noise=kind, snr_db=snr, seed=seed),
        )


def chunks(pcm: bytes) -> Iterator[bytes]:
    step = RATE * CHUNK_MS // 1000 * 2
    for offset in range(0, len(pcm), step):
        yield pcm[offset : offset + step]


def timed(source: Iterator[bytes], costs: list[float]) -> Iterator[bytes]:
    """``source``, noting how long the consumer worked on each chunk before asking again."""
    for chunk in source:
        handed = time.perf_counter()
        yield chunk
        costs.append(time.perf_counter() - handed)


@dataclass
class Run:
    """What one VAD did on a set of scenes."""

    utterances: int = 0
    ended_by_silence: int = 0
    merged: int = 0
    split: int = 0
    missed: int = 0
    other_end: dict[str, int] = field(default_factory=dict)
    end_errors: list[float] = field(default_factory=list)
    end_lags: list[float] = field(default_factory=list)
    chunk_seconds: list[float] = field(default_factory=list)
    cpu: float = 0.0
    audio: float = 0.0


def segments(config: EndpointConfig, scene: Scene, run: Run) -> list[tuple[float, float, str]]:
    """(start, end, reason) of each utterance the endpointer found in ``scene``."""
    stream = EndpointStream(RATE, config)
    found: list[tuple[float, float, str]] = []
    start: float | None = None
    cpu = time.process_time()
    for boundary in stream.segment(timed(chunks(scene.pcm()), run.chunk_seconds)):
        if boundary.kind == "start":
            start = boundary.time
        elif boundary.reason != "no_speech" and start is not None:
            found.append((start, boundary.time, boundary.reason or "silence"))
            start = None
    run.cpu += time.process_time() - cpu
    run.audio += scene.seconds
    return found


def score(scene: Scene, found: list[tuple[float, float, str]], run: Run) -> None:
    """Match each true utterance with the segment that covers its end."""
    for index, span in enumerate(scene.spans):
        run.utterances += 1
        overlapping = [s for s in found if s[0] < span.end and s[1] > span.start]
        if not overlapping:
            run.missed += 1
            continue
        if len(overlapping) > 1:
            run.split += 1  # cut in two (or more) by a pause the endpointer took for the end
            continue
        _start, end, reason = overlapping[-1]
        following = scene.spans[index + 1] if index + 1 < len(scene.spans) else None
        if following is not None and end > following.start:
            run.merged += 1
        elif reason != "silence":
            run.other_end[reason] = run.other_end.get(reason, 0) + 1
        else:
            run.ended_by_silence += 1
            run.end_errors.append(abs(end - span.end))
            run.end_lags.append(end - span.end)


def false_starts(config: EndpointConfig, snr: float, seconds: float) -> float:
    """Speech starts per minute on each noise kind alone at the level of ``snr``."""
    starts, total = 0, 0.0
    for index, kind in enumerate(NOISES):
        scene = noise_only(kind, seconds, RATE, snr_db=snr, seed=500 + index)
        stream = EndpointStream(RATE, config)
        starts += sum(b.kind == "start" for b in stream.segment(chunks(scene.pcm())))
        total += scene.seconds
    return starts / (total / 60)


def pctl(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=24, help="scenes per SNR (3 utterances each)")
    parser.add_argument("--noise-seconds", type=float, default=60.0, help="per noise kind")
    parser.add_argument("--margin", type=float, help="noise-floor margin dB (default: config's)")
    parser.add_argument("--vads", nargs="+", default=list(VADS), choices=VADS)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    utterances = replay_utterances() + espeak_utterances()
    base = EndpointConfig()
    if args.margin is not None:
        base = replace(base, noise_margin_db=args.margin)
    lines = header(args, len(utterances), base)
    table = [
        "| VAD | SNR | ended by silence | merged | split | missed | other end "
        "| end error p50 / p95 (ms) | end lag p50 / p95 (ms) | false starts / min of noise "
        "| CPU per stream | chunk compute p50 / p95 (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for snr in SNRS:
        batch = list(scenes(utterances, snr, args.scenes))
        for vad in args.vads:
            config = replace(base, vad=vad)
            run = Run()
            for _kind, scene in batch:
                score(scene, segments(config, scene, run), run)
            fpm = false_starts(config, snr, args.noise_seconds)
            table.append(row(vad, snr, run, fpm))
            print(table[-1], file=sys.stderr, flush=True)
    replay = replay_set_table(base, args.vads)
    text = "\n".join([*lines, *table, "", *replay, ""])
    print(text)
    if args.out:
        args.out.write_text(text)


def replay_set_table(base: EndpointConfig, vads: list[str]) -> list[str]:
    """How the first utterance of each replay-set WAV ends, per VAD and SNR tag.

    The shipped set's own noisy turns (0.3 s lead, 0.9 s of noisy trailing
    silence): what issue 16 first measured webrtcvad on.
    """
    manifest = load_manifest(ROOT / "audio_samples" / "manifest.yaml")
    turns = [(c.tags.get("snr", "clean"), t.audio) for c in manifest.cases for t in c.turns]
    tags = {snr for snr, _ in turns}
    snrs = [s for s in ("clean", "20", "10", "5") if s in tags]
    out = [
        "Replay set (audio_samples/), each turn's WAV alone: utterances ended by silence",
        "",
        f"| VAD | {' | '.join(f'{s} dB' if s != 'clean' else s for s in snrs)} |",
        f"|---|{'---|' * len(snrs)}",
    ]
    for vad in vads:
        cells = []
        for snr in snrs:
            paths = [path for tag, path in turns if tag == snr and path is not None]
            ended = sum(first_end(replace(base, vad=vad), path) == "silence" for path in paths)
            cells.append(f"{ended}/{len(paths)}")
        out.append(f"| {vad} | {' | '.join(cells)} |")
    return out


def first_end(config: EndpointConfig, path: Path) -> str | None:
    """Why the first utterance in ``path`` ended (None: nothing started)."""
    samples = read_float(path)
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2").tobytes()
    started = False
    for boundary in EndpointStream(RATE, config).segment(chunks(pcm)):
        if boundary.kind == "start":
            started = True
        elif started:
            return boundary.reason
    return None


def row(vad: str, snr: float, run: Run, fpm: float) -> str:
    others = ", ".join(f"{k} {v}" for k, v in sorted(run.other_end.items())) or "0"
    ms = [1000 * pctl(run.end_errors, 50), 1000 * pctl(run.end_errors, 95)]
    lag = [1000 * pctl(run.end_lags, 50), 1000 * pctl(run.end_lags, 95)]
    chunk = [1000 * pctl(run.chunk_seconds, 50), 1000 * pctl(run.chunk_seconds, 95)]
    return (
        f"| {vad} | {snr:g} dB | {run.ended_by_silence}/{run.utterances} "
        f"({run.ended_by_silence / run.utterances:.1%}) | {run.merged} | {run.split} "
        f"| {run.missed} | {others} "
        f"| {ms[0]:.0f} / {ms[1]:.0f} | {lag[0]:.0f} / {lag[1]:.0f} | {fpm:.2f} "
        f"| {run.cpu / run.audio:.2%} | {chunk[0]:.2f} / {chunk[1]:.2f} |"
    )


def margin(config: EndpointConfig) -> str:
    if config.noise_margin_db is None:
        return "each VAD's default (silero 3 dB, webrtc 4 dB)"
    return f"{config.noise_margin_db:g} dB"


def header(args: argparse.Namespace, utterances: int, config: EndpointConfig) -> list[str]:
    return [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared, "
        f"Python {platform.python_version()}, {platform.platform()}",
        f"Command: .venv/bin/python benchmarks/vad_bench.py {' '.join(sys.argv[1:])}".rstrip(),
        f"{args.scenes} scenes per SNR x 3 utterances drawn from {utterances} "
        f"(replay set clean WAVs + espeak-ng {len(VOICES)} voices x {len(SENTENCES)} sentences); "
        f"noise kinds {', '.join(NOISES)}; "
        f"noise alone {args.noise_seconds:g} s per kind per level; "
        f"start {config.speech_start_ms} ms, trailing silence {config.trailing_silence_ms} ms, "
        f"silero threshold {config.speech_threshold}, webrtcvad mode {config.vad_aggressiveness}, "
        f"noise-floor margin {margin(config)}, chunks {CHUNK_MS} ms.",
        "",
    ]


if __name__ == "__main__":
    main()
