"""Memory and bursts of the recognizer pool, each measured in a fresh process.

``asr_bench.py`` runs this file once per row (``--rss-mode MODE`` or
``--burst-run N``) so that one row's recognizers and malloc arenas never
inflate the next row's figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import vosk
from asr_common import GRAMMAR, percentile, rss_mb

from assistant.asr import VoskTranscriber
from assistant.asr.locate import package_models
from assistant.asr.vosk_engine import new_decoder_pool


def warmed_model(decoders: int, pool_size: int | None = None) -> VoskTranscriber:
    """The model loaded and paged in (a grammar decode), no open recognizer made yet."""
    ko = VoskTranscriber.from_path(package_models()[0], alternatives=5, decoders=decoders)
    if pool_size is not None:
        ko = VoskTranscriber(ko.model, alternatives=5, pool=new_decoder_pool(ko.model, pool_size))
    session = ko.open_session(GRAMMAR)
    session.accept(bytes(32000))
    session.finish()
    session.close()
    return ko


def rss_growth(mode: str, count: int, pcm_file: Path, decoders: int) -> list[float]:
    """In a fresh process: RSS growth (MB) for each extra live session of ``mode``.

    Modes: ``raw`` (bare KaldiRecognizer mid-utterance), ``unpooled`` (our open
    session, a recognizer each: the pool as large as the session count),
    ``pooled`` (our open session, ``decoders`` recognizers shared), ``idle``
    (pooled, after its utterance finished), ``grammar`` (mid-utterance).
    """
    ko = warmed_model(decoders, count if mode == "unpooled" else None)
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


def burst(count: int, pcm_file: Path, decoders: int) -> list[dict[str, float]]:
    """In a fresh process: two rounds of ``count`` utterances decoded at once.

    Every session, in a thread of its own (as the server's are), streams the
    whole utterance as fast as it can (buffered where it waits) and
    finishes. Round 1 starts with no recognizer; round 2 finds the pool's
    recognizers warm. Per round: wall time, p50/p95 seconds to the Final,
    recognizers made so far, and the peak RSS growth over the warmed model.
    """
    ko = warmed_model(decoders)
    pcm = pcm_file.read_bytes()
    base = rss_mb()
    rounds = []
    for _ in range(2):
        done: list[float] = []
        gate = threading.Barrier(count)

        def speak(done: list[float] = done, gate: threading.Barrier = gate) -> None:
            session = ko.open_session()
            gate.wait()
            started = time.perf_counter()
            for i in range(0, len(pcm), 3200):
                session.accept(pcm[i : i + 3200])
            session.finish()
            session.close()
            done.append(time.perf_counter() - started)

        started = time.perf_counter()
        threads = [threading.Thread(target=speak) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rounds.append(
            {
                "wall": time.perf_counter() - started,
                "p50": statistics.median(done),
                "p95": percentile(done, 0.95),
                "made": ko.pool.made,
                "peak_growth": rss_mb("VmHWM") - base,
            }
        )
    return rounds


def in_subprocess(*args: str, env: dict[str, str] | None = None) -> object:
    cmd = [sys.executable, __file__, *args]
    out = subprocess.run(
        cmd, check=True, capture_output=True, text=True, timeout=1200, env=env
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def rss_in_subprocess(mode: str, count: int, pcm_file: Path, decoders: int) -> list[float]:
    args = ["--rss-mode", mode, "--sessions", str(count), "--decoders", str(decoders)]
    found = in_subprocess(*args, "--pcm", str(pcm_file))
    assert isinstance(found, list)
    return [float(v) for v in found]


def burst_in_subprocess(
    count: int, pcm_file: Path, decoders: int, arenas: int | None = None
) -> list[dict[str, float]]:
    """``arenas`` sets MALLOC_ARENA_MAX: glibc gives each decoding thread an arena."""
    args = ["--burst-run", str(count), "--decoders", str(decoders), "--pcm", str(pcm_file)]
    env = {**os.environ, "MALLOC_ARENA_MAX": str(arenas)} if arenas else None
    found = in_subprocess(*args, env=env)
    assert isinstance(found, list)
    return found


def memory_figures(
    pcm: Path, sessions: int, decoders: int, burst_size: int
) -> tuple[dict[str, list[float]], dict[str, list[dict[str, float]]]]:
    """Every memory row and every burst, each in a fresh process."""
    rss = {
        **{mode: rss_in_subprocess(mode, sessions, pcm, decoders) for mode in ("raw", "unpooled")},
        **{
            f"pooled-{n}": rss_in_subprocess("pooled", n, pcm, decoders)
            for n in (2 * decoders, 5 * decoders)
        },
        **{mode: rss_in_subprocess(mode, sessions, pcm, decoders) for mode in ("idle", "grammar")},
    }
    bursts = {
        f"{burst_size} at once, {decoders} decoders": burst_in_subprocess(
            burst_size, pcm, decoders
        ),
        f"{burst_size} at once, {decoders} decoders, MALLOC_ARENA_MAX=2": burst_in_subprocess(
            burst_size, pcm, decoders, arenas=2
        ),
        f"{burst_size} at once, {burst_size} decoders (one each, as before the pool)": (
            burst_in_subprocess(burst_size, pcm, burst_size)
        ),
    }
    return rss, bursts


def rss_label(mode: str, decoders: int) -> str:
    labels = {
        "raw": "bare vosk KaldiRecognizer each, mid-utterance (reference)",
        "unpooled": "DriveTalk open session, a recognizer each (pool = session count)",
        "idle": "DriveTalk open session after finish() (recognizer back in the pool)",
        "grammar": "DriveTalk session, grammar mode, mid-utterance",
    }
    if mode.startswith("pooled-"):
        return f"DriveTalk open session, {mode[7:]} sessions on {decoders} pooled decoders"
    return labels[mode]


def rss_rows(rss: dict[str, list[float]], decoders: int) -> str:
    """Markdown rows of the memory table."""
    rows = []
    for mode, v in rss.items():
        beyond = f"{statistics.mean(v[decoders:]):.2f}" if mode.startswith("pooled-") else "-"
        rows.append(
            f"| {rss_label(mode, decoders)} | {', '.join(f'{g:.1f}' for g in v)} "
            f"| {sum(v):.0f} | **{statistics.mean(v[1:]):.1f}** | {beyond} |"
        )
    return "\n".join(rows)


def burst_rows(bursts: dict[str, list[dict[str, float]]]) -> str:
    """Markdown rows of the burst table."""
    rows = []
    for name, rounds in bursts.items():
        for number, b in enumerate(rounds, 1):
            rows.append(
                f"| {name} | {number} ({'cold' if number == 1 else 'warm'}) | {b['made']:.0f} "
                f"| {b['wall']:.1f} s | {b['p50']:.1f} s | {b['p95']:.1f} s "
                f"| {b['peak_growth']:.0f} MB |"
            )
    return "\n".join(rows)


def main() -> None:
    """One measurement in this fresh process (asr_bench.py runs these)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rss-mode")
    parser.add_argument("--burst-run", type=int)
    parser.add_argument("--sessions", type=int, default=6)
    parser.add_argument("--decoders", type=int, default=2)
    parser.add_argument("--pcm", type=Path, required=True)
    args = parser.parse_args()
    vosk.SetLogLevel(-1)
    if args.rss_mode:
        print(json.dumps(rss_growth(args.rss_mode, args.sessions, args.pcm, args.decoders)))
    elif args.burst_run:
        print(json.dumps(burst(args.burst_run, args.pcm, args.decoders)))
    else:
        parser.error("say --rss-mode MODE or --burst-run N")


if __name__ == "__main__":
    main()
