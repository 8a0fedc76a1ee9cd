"""How long the pocketsphinx engine's generated language model takes to build and load.

Usage::

    .venv/bin/python benchmarks/sphinx_lm_build.py [--rounds 3]

Builds the model of the replay set's directory (the demo organisation) in a
fresh cache directory ``rounds`` times (cold: corpus, estimation, mixing
with the stock model, ARPA and dictionary written), then reads it from the
cache, and times a decoder loading it, printing Markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from assistant.asr.sphinx_engine import _new_decoder, load_sphinx_model
from assistant.cli.replay import directory_names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    names = directory_names()
    cold, cached, decoder = [], [], []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            model = load_sphinx_model(names, Path(tmp))
            cold.append(model.domain.build_seconds)
            again = load_sphinx_model(names, Path(tmp))
            assert again.domain.cached
            cached.append(again.load_seconds)
            started = time.perf_counter()
            _new_decoder(again)
            decoder.append(time.perf_counter() - started)
            size = model.domain.lm_path.stat().st_size
    domain = model.domain
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(
        f"Names: {len(names)}; model: {domain.words} words, {domain.guessed} guessed, "
        f"{domain.dropped} sentences dropped; ARPA {size / 1e6:.1f} MB"
    )
    print("| step | median | max |\n|---|---:|---:|")
    for label, values in (
        ("build (cold)", cold),
        ("start from cache", cached),
        ("decoder load", decoder),
    ):
        print(f"| {label} | {statistics.median(values):.2f} s | {max(values):.2f} s |")


if __name__ == "__main__":
    main()
