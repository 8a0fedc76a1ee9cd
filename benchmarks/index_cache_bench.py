"""Start-up with a 100,000-person contacts CSV: index built vs loaded from its cache.

Three loads: cold (read the CSV, build the index, store it), warm in the
same process, and warm in a fresh process (what a restart costs: the
figure inside it is load_index alone; the whole process -- interpreter,
imports, grammar, load -- is measured from outside).

Run: ``PYTHONPATH=.:benchmarks .venv/bin/python benchmarks/index_cache_bench.py [--distinct]``
(``--people N`` for another size).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from names_misheard import SEED, directory

from intents.grammar import load_grammar
from intents.index_cache import load_index


def main() -> None:
    """Write the CSV, load it cold (read, build, store) and warm (from the cache)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--distinct", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    contacts = directory(args.people, random.Random(SEED), distinct=args.distinct)
    phonetics = load_grammar("en").data["phonetics"]
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "people.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(("id", "name", "department"))
            writer.writerows((c.id, c.name, c.department) for c in contacts)
        cache = Path(scratch) / "cache"
        for label in ("cold (read CSV, build, store)", "warm (from the cache)"):
            started, cpu = time.perf_counter(), time.process_time()
            index = load_index(path, phonetics, cache)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(f"- {label}: {wall:.2f} s wall clock, {cpu:.2f} s CPU ({len(index)} people)")
        _fresh_process(path, cache)
        size = sum(f.stat().st_size for f in cache.iterdir()) / 1e6
        print(f"- cache file: {size:.1f} MB; load average {os.getloadavg()[0]:.2f}")


_FRESH = """
import sys, time
from pathlib import Path
from intents.grammar import load_grammar
from intents.index_cache import load_index
phonetics = load_grammar("en").data["phonetics"]
started, cpu = time.perf_counter(), time.process_time()
index = load_index(Path(sys.argv[1]), phonetics, Path(sys.argv[2]))
wall, cpu = time.perf_counter() - started, time.process_time() - cpu
print(f"{wall:.2f} s wall clock, {cpu:.2f} s CPU ({len(index)} people)")
"""


def _fresh_process(path: Path, cache: Path) -> None:
    """Warm load in a new interpreter: load_index alone, and the whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _FRESH, str(path), str(cache)],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    print(f"- warm, fresh process: load_index {done.stdout.strip()}")
    whole = "start, imports, grammar, load"
    print(f"- warm, fresh process, whole ({whole}): {wall:.2f} s wall clock, {cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
