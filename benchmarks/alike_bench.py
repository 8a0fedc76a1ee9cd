"""What naming same-sounding people costs a parse (intents/alike.py), on one core.

Run: ``.venv/bin/python benchmarks/alike_bench.py [--people N] [--utterances N] [--locale zh]``

The synthetic directory and utterances of ``parser_bench.py``. Each
utterance is parsed twice in a row, without the sound-alike lookup and with
it (in alternating order), both from cold name caches (the worst case: a
contact not looked up before), so both columns see the same machine load;
thread CPU times.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from benchmarks.parser_bench import SEED, directory, percentile, utterances
from intents.parser import Parser
from intents.result import ParseResult


def _cpu_ms(parser: Parser, line: str, now: datetime) -> float:
    started = time.thread_time()
    parser.parse(line, now=now)
    return (time.thread_time() - started) * 1000


def main() -> None:
    """Print p50/p95/p99 parse CPU time with and without sound-alikes."""
    args = _arguments()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rng = random.Random(SEED)
    contacts = directory(args.people, rng, args.locale)
    parser = Parser.from_contacts(contacts, args.locale)
    now = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    lines = utterances(contacts, args.utterances, rng, args.locale)
    annotate = parser.alike.annotate
    without, with_alike = [], []
    for number, line in enumerate(lines):
        # Which goes first alternates (the second parse of a line finds other caches
        # warm); name caches are cold on both sides: every name looked up afresh.
        for alike in (False, True) if number % 2 else (True, False):
            parser.filler._cache.clear()
            parser.alike._known.clear()
            parser.alike.annotate = annotate if alike else _unchanged  # type: ignore[method-assign]
            (with_alike if alike else without).append(_cpu_ms(parser, line, now))
    parser.alike.annotate = annotate  # type: ignore[method-assign]
    print(
        f"- Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores"
        f" visible, Python {platform.python_version()}, one core;"
        f" load average {os.getloadavg()[0]:.2f} (shared machine)"
    )
    print(f"- Locale {args.locale}, {args.people} people, {len(lines)} utterances")
    for label, samples in (("without sound-alikes", without), ("with, cold", with_alike)):
        print(
            f"- Parse CPU {label}: p50 {percentile(samples, 50):.2f} ms,"
            f" p95 {percentile(samples, 95):.2f} ms, p99 {percentile(samples, 99):.2f} ms"
        )
    ratio = percentile(with_alike, 99) / max(percentile(without, 99), 1e-9)
    print(f"- p99 ratio with/without: {ratio:.2f}")


def _unchanged(result: ParseResult) -> ParseResult:
    return result


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--utterances", type=int, default=1000)
    parser.add_argument("--locale", choices=("en", "zh"), default="en")
    return parser.parse_args()


if __name__ == "__main__":
    main()
