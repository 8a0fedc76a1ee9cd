"""Names across scripts at scale: a 100,000-person directory with many names in
Chinese characters; index build time, resolve latency and name-resolution
accuracy for queries in characters, pinyin, homophones (同音字) and pinyin
heard by an English recogniser.

Run alone: ``.venv/bin/python benchmarks/names_zh.py [--people N] [--queries N]``
(``benchmarks/parser_bench.py`` measures parsing; this, the names).

Accuracy, per kind of query, over targets drawn from the Chinese names:

* *top-1 (unique)*: of targets no one else shares the sound of, the share
  resolved to the target (``best``);
* *asked (shared)*: of targets whose sound others share (李伟 / 李薇), the
  share answered ``ambiguous`` -- the dialog asks -- and how often the target
  is among the candidates offered;
* *confidently wrong*: of all queries, the share resolved (``best``) to
  someone else.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pypinyin import Style, lazy_pinyin

from assistant.models import Contact
from intents.contacts import ContactIndex, pinyin_reader
from intents.grammar import load_grammar
from intents.parser import Parser

SEED = 20261206
NAMES = yaml.safe_load((Path(__file__).with_name("parser_names.yaml")).read_text(encoding="utf-8"))
DEPARTMENTS = {
    "Sales": "销售部",
    "Finance": "财务部",
    "Engineering": "研发部",
    "Logistics": "物流部",
    "Marketing": "市场部",
    "Legal": "法务部",
    "Support": "客服部",
    "HR": "人力资源部",
}
ENGLISH_TEMPLATES = (
    "tell {name} i'm running ten minutes late",
    "send a message to {name} saying the meeting moved to three",
    "what's {name}'s phone number",
    "schedule a meeting with {name} tomorrow at 3 pm for an hour about the budget",
)


@dataclass(frozen=True, slots=True)
class Person:
    """A generated Chinese colleague: the contact and its name in characters."""

    contact: Contact
    chars: str


def directory(people: int, rng: random.Random) -> tuple[list[Contact], list[Person]]:
    """55 % names in characters only (a DingTalk directory), 15 % pinyin names
    with their characters as an alias (the demo organisation's way), 30 % English."""
    contacts: list[Contact] = []
    chinese: list[Person] = []
    for i in range(people):
        department = rng.choice(list(DEPARTMENTS))
        draw = rng.random()
        if draw < 0.7:
            given = rng.choice(NAMES["han_given"])
            if rng.random() < 0.65:
                given += rng.choice(NAMES["han_given"])
            chars = rng.choice(NAMES["han_surnames"]) + given
            if draw < 0.55:
                contact = Contact(id=f"p{i}", name=chars, department=DEPARTMENTS[department])
            else:
                latin = " ".join(lazy_pinyin(chars)).title()
                contact = Contact(id=f"p{i}", name=latin, department=department, aliases=(chars,))
            chinese.append(Person(contact, chars))
        else:
            name = f"{rng.choice(NAMES['first'])} {rng.choice(NAMES['last'])}".title()
            contact = Contact(id=f"p{i}", name=name, department=department)
        contacts.append(contact)
    return contacts, chinese


def misheard(pinyin: str, rng: random.Random) -> str:
    """How an English recogniser might write a pinyin name (as in parser_bench)."""
    swaps = (("zh", "j"), ("x", "sh"), ("q", "ch"), ("i", "ee"), ("ei", "ay"))
    heard = pinyin
    for old, new in rng.sample(swaps, 2):
        heard = heard.replace(old, new)
    return heard


class Queries:
    """The kinds of query made from one target's name in characters."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        reader = pinyin_reader()
        self._same_sound: dict[str, list[str]] = defaultdict(list)
        for char in dict.fromkeys(NAMES["han_given"]):
            self._same_sound[reader.char_readings(char)[0]].append(char)

    def reading(self, chars: str) -> str:
        return " ".join(pinyin_reader().readings(chars)[0])

    def kinds(self) -> dict[str, Callable[[str], str | None]]:
        """Kind name -> how to write the query (None: not applicable to this name)."""
        return {
            "characters": lambda chars: chars,
            "characters, spaced": " ".join,
            "pinyin, spaced": self.reading,
            "pinyin, glued": lambda chars: self.reading(chars).replace(" ", ""),
            "pinyin, tone marks": lambda chars: " ".join(lazy_pinyin(chars, style=Style.TONE)),
            "pinyin, tone numbers": lambda chars: " ".join(
                lazy_pinyin(chars, style=Style.TONE3, neutral_tone_with_five=True)
            ),
            "homophone characters (同音字)": self.homophone,
            "pinyin heard in English": lambda chars: misheard(self.reading(chars), self.rng),
        }

    def homophone(self, chars: str) -> str | None:
        """The name with one given-name character swapped for another of the same sound."""
        reader = pinyin_reader()
        positions = list(range(len(chars) - 1, 0, -1))
        self.rng.shuffle(positions)
        for position in positions:
            char = chars[position]
            others = [c for c in self._same_sound[reader.char_readings(char)[0]] if c != char]
            if others:
                return chars[:position] + self.rng.choice(others) + chars[position + 1 :]
        return None


@dataclass
class Tally:
    """Accuracy counts of one kind of query."""

    queries: int = 0
    unique: int = 0
    unique_right: int = 0
    shared: int = 0
    shared_asked: int = 0
    shared_offered: int = 0
    wrong: int = 0

    def line(self, kind: str) -> str:
        def share(part: int, whole: int) -> str:
            return f"{part / whole:.1%} ({part}/{whole})" if whole else "n/a"

        cells = (
            str(self.queries),
            share(self.unique_right, self.unique),
            share(self.shared_asked, self.shared),
            share(self.shared_offered, self.shared),
            share(self.wrong, self.queries),
        )
        return f"| {kind} | {' | '.join(cells)} |"


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0..100) of samples."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run(people: int, targets: int) -> list[str]:
    """Build the directory and index, resolve every kind of query; report lines (Markdown)."""
    rng = random.Random(SEED)
    contacts, chinese = directory(people, rng)
    phonetics = load_grammar("en").data["phonetics"]
    pinyin_reader()  # loaded once per process with the grammar, not per index
    started, started_cpu = time.perf_counter(), time.thread_time()
    index = ContactIndex(contacts, phonetics)
    build, build_cpu = time.perf_counter() - started, time.thread_time() - started_cpu
    sounds = Counter(" ".join(pinyin_reader().readings(p.chars)[0]) for p in chinese)
    queries = Queries(rng)
    tallies: dict[str, Tally] = defaultdict(Tally)
    latency: list[float] = []
    cpu: list[float] = []
    chosen = rng.sample(chinese, min(targets, len(chinese)))
    for person in chosen[:50]:
        index.resolve(person.chars)  # warm caches
    for person in chosen:
        unique = sounds[queries.reading(person.chars)] == 1
        for kind, write in queries.kinds().items():
            query = write(person.chars)
            if query is None:
                continue
            began, began_cpu = time.perf_counter(), time.thread_time()
            resolution = index.resolve(query)
            latency.append((time.perf_counter() - began) * 1000)
            cpu.append((time.thread_time() - began_cpu) * 1000)
            _count(tallies[kind], resolution, person.contact.id, unique)
    report = [
        f"Chinese directory: {people} synthetic people (seed {SEED}): {len(chinese)} Chinese"
        f" names ({sum(1 for p in chinese if p.contact.name == p.chars)} in characters only,"
        f" the rest pinyin with characters as an alias), {len(sounds)} distinct sounds;"
        f" the rest English names",
        f"Index build: {build:.2f} s wall clock, {build_cpu:.2f} s CPU",
        f"Resolve latency over {len(latency)} queries: p50 {percentile(latency, 50):.2f} ms,"
        f" p95 {percentile(latency, 95):.2f} ms, p99 {percentile(latency, 99):.2f} ms,"
        f" mean {statistics.fmean(latency):.2f} ms (wall clock); CPU time (thread) p50"
        f" {percentile(cpu, 50):.2f} ms, p99 {percentile(cpu, 99):.2f} ms",
        f"Load average (1 min) during the run: {os.getloadavg()[0]:.2f} (the machine is shared)",
        *_english_parse(contacts, chinese, rng),
    ]
    table = [
        "",
        "| query kind | queries | top-1, unique sound | asked, shared sound |"
        " target offered, shared | confidently wrong |",
        "|---|---|---|---|---|---|",
        *(tally.line(kind) for kind, tally in tallies.items()),
        "",
        "| name nobody has (the reported bug's kind) | queries | nobody | asked |"
        " resolved: so called another way | resolved: near sound | resolved: far sound |",
        "|---|---|---|---|---|---|---|",
        *_absent(index, contacts, sounds, rng, targets),
    ]
    return [f"- {line}" for line in report] + table


_OUTCOMES = ("nobody", "asked", "other way", "near", "far")


def _absent(
    index: ContactIndex,
    contacts: list[Contact],
    sounds: Counter[str],
    rng: random.Random,
    count: int,
) -> list[str]:
    """Names generated alike but whose sound nobody in the directory has."""
    reader = pinyin_reader()
    names: list[str] = []
    while len(names) < count:
        chars = rng.choice(NAMES["han_surnames"]) + rng.choice(NAMES["han_given"])
        chars += rng.choice(NAMES["han_given"]) if rng.random() < 0.65 else ""
        if " ".join(reader.readings(chars)[0]) not in sounds:
            names.append(chars)
    rows = []
    for kind, write in (("characters", str), ("pinyin", lambda c: " ".join(reader.readings(c)[0]))):
        counts = Counter()
        for chars in names:
            resolution = index.resolve(write(chars))
            best = resolution.best
            if not resolution.candidates:
                counts["nobody"] += 1
            elif best is None:
                counts["asked"] += 1
            else:
                counts[_outcome(chars, best)] += 1
        shares = [f"{counts[k] / len(names):.1%} ({counts[k]})" for k in _OUTCOMES]
        cells = [str(len(names)), *shares]
        rows.append(f"| {kind} | {' | '.join(cells)} |")
    return rows


def _outcome(chars: str, best: Contact) -> str:
    """How a name nobody has was resolved: to someone so called in another way (by
    given name: 田嘉 for 郝田嘉; given name first: "yan jia" for Jia Yan), to a near
    sound (one confusable sound apart), or to a far one."""
    names = (best.name, *best.aliases)
    reading = pinyin_reader().readings(chars)[0]
    if any(n.endswith(chars) and len(n) > len(chars) for n in names) or _near(reading[::-1], best):
        return "other way"
    return "near" if _near(reading, best) else "far"


def _near(reading: tuple[str, ...], contact: Contact) -> bool:
    """Whether a contact's name sounds like ``reading`` syllable by syllable (or nearly)."""
    reader = pinyin_reader()
    for name in (contact.name, *contact.aliases):
        theirs = (
            reader.readings(name)[0]
            if reader.readings(name)
            else reader.syllables_of(name.lower().split())
        )
        if len(theirs) == len(reading) and all(
            reader.near(a, b) for a, b in zip(reading, theirs, strict=True)
        ):
            return True
    return False


def _count(tally: Tally, resolution: object, target: str, unique: bool) -> None:
    from intents.result import ContactResolution

    assert isinstance(resolution, ContactResolution)
    ids = [c.contact.id for c in resolution.candidates]
    best = resolution.best
    tally.queries += 1
    if best is not None and best.id != target:
        tally.wrong += 1
    if unique:
        tally.unique += 1
        tally.unique_right += best is not None and best.id == target
    else:
        tally.shared += 1
        tally.shared_asked += resolution.ambiguous
        tally.shared_offered += resolution.ambiguous and target in ids


def _english_parse(contacts: list[Contact], chinese: list[Person], rng: random.Random) -> list[str]:
    """The English parser over the same directory: pinyin of names in characters."""
    load_grammar("en")
    started = time.perf_counter()
    parser = Parser.from_contacts(contacts)
    build = time.perf_counter() - started
    now = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    lines = [
        rng.choice(ENGLISH_TEMPLATES).format(
            name=" ".join(pinyin_reader().readings(rng.choice(chinese).chars)[0])
        )
        for _ in range(1000)
    ]
    for line in lines[:50]:
        parser.parse(line, now=now)
    samples, cpu = [], []
    for line in lines:
        began, began_cpu = time.perf_counter(), time.thread_time()
        parser.parse(line, now=now)
        samples.append((time.perf_counter() - began) * 1000)
        cpu.append((time.thread_time() - began_cpu) * 1000)
    return [
        f"English parser over this directory: build {build:.2f} s; parse of {len(samples)}"
        f" English commands naming Chinese colleagues in pinyin: p50"
        f" {percentile(samples, 50):.2f} ms, p99 {percentile(samples, 99):.2f} ms (wall clock);"
        f" CPU p50 {percentile(cpu, 50):.2f} ms, p99 {percentile(cpu, 99):.2f} ms"
    ]


def main() -> None:
    """Run alone: pinned to one core, print the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000, help="targets (x8 query kinds)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print("\n".join(run(args.people, args.queries)))


if __name__ == "__main__":
    main()
