"""Parser benchmark: a synthetic 100,000-person directory, index build time,
per-utterance parse latency (p50/p95/p99, one core), and the SLURP figures.

Run: ``.venv/bin/python benchmarks/parser_bench.py [--people N] [--slurp FILE] [--locale zh]
[--compare]`` (``--compare``: each utterance parsed with the grammar alone and with the
statistical arbiter, alternately, and both latency lines printed).

With ``--locale zh`` the directory's Chinese people also carry their names in
characters (as aliases) and the utterances are Mandarin command shapes naming
them in characters, in pinyin or by their English names; the SLURP figures are
replaced by the Chinese development set's.
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
ZH_SURNAMES, ZH_GIVEN = NAMES["zh_surnames"], NAMES["zh_given"]
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
ZH_TEMPLATES = (
    "给{name}发消息说我晚点十分钟到",
    "告诉{name}会议改到三点",
    "{name}的电话是多少",
    "明天下午三点跟{name}开会 一个小时 讨论预算",
    "读一下{name}发来的未读消息",
    "今天下午有什么安排",
    "一个小时以后提醒我给办公室打电话",
    "取消周五的会",
    "明天天气怎么样",
    "好的",
    "嗯 那个 帮我给销售部的{name}发条信息 就说合同签好了",
)
ZH_DEV = Path(__file__).with_name("data") / "zh_dev.jsonl"


def directory(people: int, rng: random.Random, locale: str = "en") -> list[Contact]:
    """A deterministic mix of Chinese (pinyin) and English names."""
    contacts = []
    for i in range(people):
        aliases: tuple[str, ...] = ()
        if rng.random() < 0.6:
            parts = [rng.randrange(len(GIVEN)), rng.choice((None, None, rng.randrange(len(GIVEN))))]
            given = "".join(GIVEN[p] for p in parts if p is not None)
            surname = rng.randrange(len(SURNAMES))
            name = f"{SURNAMES[surname]} {given}"
            if locale == "zh":
                chars = "".join(ZH_GIVEN[p % len(ZH_GIVEN)] for p in parts if p is not None)
                aliases = (ZH_SURNAMES[surname % len(ZH_SURNAMES)] + chars,)
        else:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        contacts.append(
            Contact(
                id=f"p{i}",
                name=name.title(),
                department=rng.choice(DEPARTMENTS),
                aliases=aliases,
            )
        )
    return contacts


def misheard(name: str, rng: random.Random) -> str:
    """How an English recogniser might write a pinyin name."""
    swaps = (("zh", "j"), ("x", "sh"), ("q", "ch"), ("i", "ee"), ("ei", "ay"))
    heard = name.lower()
    for old, new in rng.sample(swaps, 2):
        heard = heard.replace(old, new)
    return heard


def utterances(
    contacts: list[Contact], count: int, rng: random.Random, locale: str = "en"
) -> list[str]:
    """Benchmark utterances built from the templates and real directory names."""
    lines = []
    for _ in range(count):
        contact = rng.choice(contacts)
        name = contact.name.lower()
        if locale == "zh":
            # Characters when the person has them, else pinyin or the English name.
            said = contact.aliases[0] if contact.aliases and rng.random() < 0.8 else contact.name
            lines.append(rng.choice(ZH_TEMPLATES).format(name=said))
            continue
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
    contacts = directory(args.people, rng, args.locale)
    load_grammar(args.locale)  # compiled once per process, not part of the index build
    started, started_cpu = time.perf_counter(), time.thread_time()
    parser = Parser.from_contacts(contacts, args.locale)
    build, build_cpu = time.perf_counter() - started, time.thread_time() - started_cpu
    now = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    lines = utterances(contacts, args.utterances, rng, args.locale)
    for line in lines[:50]:
        parser.parse(line, now=now)  # warm caches (and load the arbiter's model)
    ways = (False, True) if args.compare else (True,)
    timed: dict[bool, tuple[list[float], list[float]]] = {way: ([], []) for way in ways}
    for number, line in enumerate(lines):
        # Alternately, so both ways see the same machine load; the first of a pair
        # fills the name cache for the second, so which goes first alternates too.
        for way in ways if number % 2 else ways[::-1]:
            parser.arbiter = way
            started, started_cpu = time.perf_counter(), time.thread_time()
            parser.parse(line, now=now)
            timed[way][0].append((time.perf_counter() - started) * 1000)
            timed[way][1].append((time.thread_time() - started_cpu) * 1000)
    parser.arbiter = True
    report = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores visible,"
        f" Python {platform.python_version()}, pinned to one core",
        f"Locale: {args.locale}; directory: {args.people} synthetic people (seed {SEED})",
        f"Index build: {build:.2f} s wall clock, {build_cpu:.2f} s CPU",
        f"Load average (1 min) during the run: {os.getloadavg()[0]:.2f} (the machine is shared)",
    ]
    for way, (samples, cpu) in timed.items():
        said = "with the arbiter" if way else "grammar alone"
        report += [
            f"Parse latency ({said}) over {len(samples)} utterances:"
            f" p50 {percentile(samples, 50):.2f} ms,"
            f" p95 {percentile(samples, 95):.2f} ms, p99 {percentile(samples, 99):.2f} ms,"
            f" mean {statistics.fmean(samples):.2f} ms (wall clock)",
            f"Parse CPU time ({said}, thread): p50 {percentile(cpu, 50):.2f} ms,"
            f" p95 {percentile(cpu, 95):.2f} ms, p99 {percentile(cpu, 99):.2f} ms",
        ]
    if args.locale == "zh":
        report.extend(_zh_dev(now))
    elif args.slurp and args.slurp.exists():
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


def _zh_dev(now: datetime) -> list[str]:
    report = evaluate(Parser.from_contacts([], "zh"), read_examples(ZH_DEV), now)
    return [
        f"zh_dev (no directory): in-domain accuracy {report.in_domain_accuracy:.1%}"
        f" ({report.in_domain_total} utterances), out-of-domain false actions"
        f" {report.ood_false_actions}/{report.ood_total} ({report.ood_false_action_rate:.2%})"
    ]


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
    parser.add_argument("--locale", choices=("en", "zh"), default="en")
    parser.add_argument("--compare", action="store_true", help="grammar alone vs with arbiter")
    return parser.parse_args()


if __name__ == "__main__":
    main()
