"""``drivetalk chat`` start-up with ``[directory] path``: a 100,000-person file, cold and warm.

Run: ``PYTHONPATH=.:benchmarks .venv/bin/python benchmarks/directory_start.py [--people N]``

Writes the distinct-names directory of ``names_misheard.py`` as a CSV, then
starts ``drivetalk chat`` (webhook backend, stdin empty: it builds everything
and exits) with no directory, with the file and an empty index cache, and
with the file again (index from the cache), interleaved ``--rounds`` times.
Wall clock and the child's CPU time per start.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from names_misheard import SEED, directory

SECRET_ENV = "DRIVETALK_BENCH_WEBHOOK_SECRET"


def write_people(path: Path, people: int) -> None:
    """The benchmark directory as ``id,name,department``."""
    contacts = directory(people, random.Random(SEED), distinct=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(("id", "name", "department"))
        writer.writerows((c.id, c.name, c.department) for c in contacts)


def config(folder: Path, people: Path | None) -> Path:
    """A webhook backend (never reached: nothing is sent) and maybe the directory file."""
    path = folder / ("with.toml" if people else "without.toml")
    table = f'[directory]\npath = "{people}"\n' if people else ""
    path.write_text(
        'backend = "webhook"\n[connectors.webhook]\nurl = "http://127.0.0.1:9/hook"\n'
        f'secret_env = "{SECRET_ENV}"\n' + table,
        encoding="utf-8",
    )
    return path


def start(folder: Path, toml: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one chat start in a fresh interpreter."""
    env = {**os.environ, SECRET_ENV: "bench-secret-0123456789", "XDG_CACHE_HOME": str(folder)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--config", str(toml), "chat", "--no-speak",
         "--data-dir", str(folder / "data")],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    """Print one line per start: which, wall clock, CPU."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        people = folder / "people.csv"
        write_people(people, args.people)
        without, with_file = config(folder, None), config(folder, people)
        for _ in range(args.rounds):
            shutil.rmtree(folder / "drivetalk", ignore_errors=True)  # the index cache
            for label, toml in (
                ("no directory", without),
                ("file, index built", with_file),
                ("file, index from the cache", with_file),
            ):
                wall, cpu = start(folder, toml)
                print(f"- {label}: {wall:.2f} s wall, {cpu:.2f} s CPU")
        print(f"- load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
