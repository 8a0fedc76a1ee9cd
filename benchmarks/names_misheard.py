"""Misheard names in a 100,000-person directory: do whole names resolve?

Targets are people whose name is unique in the directory. Each is said inside
a message command ("send a message to <heard> saying the trucks are loaded")
the way an English recogniser writes it (:func:`heard`): pinyin syllables
respelled (initials zh->j, x->sh/s, q->ch; one final each: ui->way, ei->ay,
ao->ow, ...), given names
split or glued, English names respelled (ph->f, c->k, doubled letters). The
recipient is then, per target:

- *right*: the target, without asking;
- *asked*: ambiguous, the target among the candidates (the dialog asks);
- *wrong*: another person, without asking (confidently wrong: the worst case);
- *missed*: nobody, or the target not among the candidates.

The matcher's model of English-spelled pinyin (``heard_pinyin`` in
``intents/grammar/en/phonetics.yaml``) knows the respellings :func:`heard`
makes; ``--slips 1`` gives every name one more slip it does not know (a
vowel heard as another) to measure what happens outside the model.

Run: ``PYTHONPATH=.:benchmarks .venv/bin/python benchmarks/names_misheard.py [--distinct]``
(``--people N``, ``--queries N``, ``--seed N``, ``--slips P``, ``--show [KINDS]``).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from parser_bench import DEPARTMENTS, FIRST, GIVEN, LAST, SURNAMES, percentile

from assistant.models import Contact
from intents.grammar import load_grammar
from intents.parser import Parser
from intents.result import ContactResolution

SEED = 20261206
#: How an English recogniser spells the initial of a pinyin syllable it does not know.
PINYIN_INITIALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("zh", ("j",)),
    ("x", ("sh", "s")),
    ("q", ("ch",)),
)
#: ... and its final (at most one applies to a syllable, as one vowel is heard once).
PINYIN_FINALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ui", ("way",)),
    ("ei", ("ay",)),
    ("ao", ("ow",)),
    ("ou", ("oh", "o")),
    ("ie", ("yeh",)),
    ("iu", ("yo", "eo")),
    ("ang", ("ung",)),
    ("ing", ("eeng",)),
    ("i", ("ee",)),
    ("u", ("oo",)),
)
ENGLISH_EARS: tuple[tuple[str, str], ...] = (
    ("ph", "f"),
    ("c", "k"),
    ("y", "ie"),
    ("ll", "l"),
    ("tt", "t"),
    ("ss", "s"),
    ("son", "sen"),
    ("ie", "y"),
    ("er", "a"),
)
VOWELS = "aeiou"
UTTERANCE = "send a message to {heard} saying the trucks are loaded"


def directory(people: int, rng: random.Random, *, distinct: bool) -> list[Contact]:
    """60 % Chinese (pinyin) names, 40 % English; all distinct if asked."""
    contacts: list[Contact] = []
    seen: set[str] = set()
    while len(contacts) < people:
        if rng.random() < 0.6:
            given = rng.choice(GIVEN) + rng.choice(("", "", rng.choice(GIVEN)))
            name = f"{rng.choice(SURNAMES)} {given}"
        else:
            last = rng.choice(LAST)
            if distinct and rng.random() < 0.7:
                last = f"{last}-{rng.choice(LAST)}"
            name = f"{rng.choice(FIRST)} {last}"
        name = name.title()
        if distinct and name in seen:
            continue
        seen.add(name)
        contacts.append(
            Contact(id=f"p{len(contacts)}", name=name, department=rng.choice(DEPARTMENTS))
        )
    return contacts


def is_chinese(name: str) -> bool:
    """Whether the benchmark made ``name`` from pinyin syllables."""
    return name.split(maxsplit=1)[0].lower() in SURNAMES


def heard(name: str, rng: random.Random) -> str:
    """How an English recogniser may write ``name``."""
    words = name.lower().replace("-", " ").split()
    if not is_chinese(name):
        out = []
        for word in words:
            spelled = word
            for old, new in ENGLISH_EARS:
                if old in spelled and rng.random() < 0.35:
                    spelled = spelled.replace(old, new, 1)
            out.append(spelled)
        return " ".join(out)
    surname, given = words[0], words[1]
    syllables = [surname, *_syllables(given)]
    spelled = [_respell(s, rng) for s in syllables]
    head, rest = spelled[0], spelled[1:]
    if len(rest) == 2 and rng.random() < 0.5:
        return f"{head} {rest[0]} {rest[1]}"  # the given name split in two words
    return f"{head} {''.join(rest)}"


def slipped(said: str, rng: random.Random) -> str:
    """One vowel of ``said`` heard as another: a slip no rule of the name model
    describes (``--slips``), to see what the matcher does outside its model."""
    places = [i for i, ch in enumerate(said) if ch in VOWELS]
    if not places:
        return said
    place = rng.choice(places)
    other = rng.choice([v for v in VOWELS if v != said[place]])
    return said[:place] + other + said[place + 1 :]


def _syllables(given: str) -> list[str]:
    for cut in range(1, len(given)):
        if given[:cut] in GIVEN and given[cut:] in GIVEN:
            return [given[:cut], given[cut:]]
    return [given]


def _respell(syllable: str, rng: random.Random) -> str:
    initial, final = syllable, ""
    for old, choices in PINYIN_INITIALS:
        if syllable.startswith(old):
            head = rng.choice(choices) if rng.random() < 0.5 else old
            initial, final = head, syllable[len(old) :]
            break
    else:
        initial, final = syllable[:1], syllable[1:]
        if syllable[:1] in "aeiou":
            initial, final = "", syllable
    for old, choices in PINYIN_FINALS:
        if final.endswith(old):
            if rng.random() < 0.5:
                final = final[: -len(old)] + rng.choice(choices)
            break
    return initial + final


def outcome(value: object, target: Contact) -> str:
    """right / asked / wrong / missed for one recipient slot."""
    if not isinstance(value, ContactResolution) or not value.candidates:
        return "missed"
    ids = [c.contact.id for c in value.candidates]
    if not value.ambiguous:
        return "right" if ids[0] == target.id else "wrong"
    return "asked" if target.id in ids else "missed"


def main() -> None:
    """Build the directory, say every target misheard, print the figures."""
    args = _arguments()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rng = random.Random(args.seed)
    contacts = directory(args.people, rng, distinct=args.distinct)
    load_grammar("en")
    started, started_cpu = time.perf_counter(), time.process_time()
    parser = Parser.from_contacts(contacts)
    build, build_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    counts = Counter(c.name for c in contacts)
    unique = [c for c in contacts if counts[c.name] == 1]
    targets = rng.sample(unique, min(args.queries, len(unique)))
    now = datetime(2026, 12, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    tally: dict[str, Counter[str]] = {"all": Counter(), "chinese": Counter(), "english": Counter()}
    samples, cpu = [], []
    for target in targets:
        said = heard(target.name, rng)
        if args.slips and rng.random() < args.slips:
            said = slipped(said, rng)
        text = UTTERANCE.format(heard=said)
        started, started_cpu = time.perf_counter(), time.thread_time()
        result = parser.parse(text, now=now)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        kind = outcome(result.slots.get("recipient"), target)
        group = "chinese" if is_chinese(target.name) else "english"
        tally["all"][kind] += 1
        tally[group][kind] += 1
        if kind in args.show:
            print(f"  {kind}: {target.name!r} heard {text!r} -> {result.to_json()['slots']}")
    print(
        f"- Machine: {platform.machine()}, Python {platform.python_version()}, one core;"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"- Directory: {len(contacts)} people, {len(counts)} distinct names"
        f" ({'--distinct' if args.distinct else 'as parser_bench'}, seed {args.seed});"
        f" index build {build:.2f} s wall clock, {build_cpu:.2f} s CPU"
    )
    for group, tallied in tally.items():
        total = sum(tallied.values()) or 1
        print(
            f"- {group}: {sum(tallied.values())} targets: right {tallied['right'] / total:.1%},"
            f" asked {tallied['asked'] / total:.1%}, confidently wrong"
            f" {tallied['wrong'] / total:.1%}, missed {tallied['missed'] / total:.1%}"
        )
    print(
        f"- Parse latency: p50 {percentile(samples, 50):.2f} ms,"
        f" p99 {percentile(samples, 99):.2f} ms (wall clock); CPU p50"
        f" {percentile(cpu, 50):.2f} ms, p99 {percentile(cpu, 99):.2f} ms"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--distinct", action="store_true", help="every name distinct")
    parser.add_argument(
        "--slips",
        type=float,
        default=0.0,
        help="share of names also given one vowel slip outside the model (0..1)",
    )
    parser.add_argument(
        "--seed", type=int, default=SEED, help=f"directory and queries (tuned on {SEED})"
    )
    parser.add_argument(
        "--show",
        nargs="*",
        default=None,
        choices=("right", "asked", "wrong", "missed"),
        help="print each target with one of these outcomes (none: wrong and missed)",
    )
    args = parser.parse_args()
    if args.show is None:
        args.show = ()
    elif not args.show:
        args.show = ("wrong", "missed")
    return args


if __name__ == "__main__":
    main()
