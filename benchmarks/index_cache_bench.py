"""Start-up with a 100,000-person contacts CSV: index built vs loaded from its cache.

Run: ``.venv/bin/python benchmarks/index_cache_bench.py [--people N] [--distinct]``
"""

from __future__ import annotations

import argparse
import csv
import os
import random
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
        size = sum(f.stat().st_size for f in cache.iterdir()) / 1e6
        print(f"- cache file: {size:.1f} MB; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
