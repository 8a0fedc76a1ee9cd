"""Parser benchmark: a synthetic 100,000-person directory, index build time,
per-utterance parse latency (p50/p95/p99, one core), and the SLURP figures.

Run: ``.venv/bin/python benchmarks/parser_bench.py [--people N] [--slurp FILE]``
Writes a Markdown summary to stdout (and to --out if given).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from assistant.models import Contact
from intents.evaluation import evaluate, is_even, read_examples
from intents.grammar import load_grammar
from intents.parser import Parser

SEED = 20261123
NAMES = yaml.safe_load((Path(__file__).with_name("parser_names.yaml")).read_text(encoding="utf-8"))
SURNAMES, GIVEN = NAMES["surnames"], NAMES["given"]
FIRST, LAST = NAMES["first"], NAMES["last"]
DEPARTMENTS = (
    "Sales",
    "Finance",
    "Engineering",
    "Logistics",
    "Marketing",
    "Legal",
    "Support",
    "HR",
)
TEMPLATES = (
    "tell {name} i'm running ten minutes late",
    "send a message to {name} saying the meeting moved to three",
    "text {heard} i'm stuck in traffic",
    "what's {name}'s phone number",
    "schedule a meeting with {name} tomorrow at 3 pm for an hour about the budget",
    "read my unread messages from {name}",
    "what's on my calendar this afternoon",
    "remind me to call the office in twenty minutes",
    "cancel my meeting on friday",
    "what's the weather like tomorrow",
    "yes please",
)


def directory(people: int, rng: random.Random) -> list[Contact]:
    """A deterministic mix of Chinese (pinyin) and English names."""
    contacts = []
    for i in range(people):
        if rng.random() < 0.6:
            given = rng.choice(GIVEN) + rng.choice(("", "", rng.choice(GIVEN)))
            name = f"{rng.choice(SURNAMES)} {given}"
        else:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        contacts.append(Contact(id=f"p{i}", name=name.title(), department=rng.choice(DEPARTMENTS)))
    return contacts


def misheard(name: str, rng: random.Random) -> str:
    """How an English recogniser might write a pinyin name."""
    swaps = (("zh", "j"), ("x", "sh"), ("q", "ch"), ("i", "ee"), ("ei", "ay"))
    heard = name.lower()
    for old, new in rng.sample(swaps, 2):
        heard = heard.replace(old, new)
    return heard


def utterances(contacts: list[Contact], count: int, rng: random.Random) -> list[str]:
    """Benchmark utterances built from the templates and real directory names."""
    lines = []
    for _ in range(count):
        name = rng.choice(contacts).name.lower()
        lines.append(rng.choice(TEMPLATES).format(name=name, heard=misheard(name, rng)))
    return lines


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0..100) of samples."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    """Run the benchmark and print a Markdown report."""
    args = _arguments()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rng = random.Random(SEED)
    contacts = directory(args.people, rng)
    load_grammar("en")  # compiled once per process, not part of the index build
    started, started_cpu = time.perf_counter(), time.thread_time()
    parser = Parser.from_contacts(contacts)
    build, build_cpu = time.perf_counter() - started, time.thread_time() - started_cpu
    now = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    lines = utterances(contacts, args.utterances, rng)
    for line in lines[:50]:
        parser.parse(line, now=now)  # warm caches
    samples, cpu = [], []
    for line in lines:
        started, started_cpu = time.perf_counter(), time.thread_time()
        parser.parse(line, now=now)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    report = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores visible,"
        f" Python {platform.python_version()}, pinned to one core",
        f"Directory: {args.people} synthetic people (seed {SEED})",
        f"Index build: {build:.2f} s wall clock, {build_cpu:.2f} s CPU",
        f"Load average (1 min) during the run: {os.getloadavg()[0]:.2f} (the machine is shared)",
        f"Parse latency over {len(samples)} utterances: p50 {percentile(samples, 50):.2f} ms,"
        f" p95 {percentile(samples, 95):.2f} ms, p99 {percentile(samples, 99):.2f} ms,"
        f" mean {statistics.fmean(samples):.2f} ms (wall clock)",
        f"Parse CPU time (thread): p50 {percentile(cpu, 50):.2f} ms,"
        f" p95 {percentile(cpu, 95):.2f} ms, p99 {percentile(cpu, 99):.2f} ms",
    ]
    if args.slurp and args.slurp.exists():
        report.extend(_slurp(args.slurp, now))
    text = "\n".join(f"- {line}" for line in report)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


def _slurp(path: Path, now: datetime) -> list[str]:
    parser = Parser.from_contacts([])
    examples = list(read_examples(path))
    lines = []
    for label, chosen in (
        ("all", examples),
        ("even ids (development)", [e for e in examples if is_even(e)]),
        ("odd ids (held out)", [e for e in examples if not is_even(e)]),
    ):
        report = evaluate(parser, chosen, now)
        lines.append(
            f"SLURP devel, {label}: in-domain accuracy {report.in_domain_accuracy:.1%}"
            f" ({report.in_domain_total} utterances), out-of-domain false actions"
            f" {report.ood_false_actions}/{report.ood_total} ({report.ood_false_action_rate:.2%})"
        )
    return lines


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--utterances", type=int, default=2000)
    parser.add_argument(
        "--slurp",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared/data/slurp/devel.jsonl",
    )
    parser.add_argument("--out", type=Path)
    return parser.parse_args()


if __name__ == "__main__":
    main()
