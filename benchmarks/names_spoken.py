"""Names as a real recogniser delivers them: espeak-ng speaks, pocketsphinx writes.

Unlike ``names_misheard.py`` (whose generator shares the matcher's respelling
table), nothing here knows the matcher's model. Each target (a person whose
name is unique in a 100,000-person directory of distinct names) is spoken
inside an English carrier phrase::

    send a message to <name> saying the trucks are loaded
    what's <name>'s number
    read my messages from <name>

The carrier is in espeak-ng's English voice. The name is in the English voice
for English names. A Chinese name is said one of two ways (``--chinese-voice``):

- ``mandarin`` (the harsh case): a Mandarin voice, either ``cmn`` reading the
  name in characters or ``cmn-latn-pinyin`` reading tone-numbered pinyin
  (tones from pypinyin), in the middle of an English sentence;
- ``english`` (the realistic case for the English locale: a Mandarin speaker
  uses the zh locale and its recogniser): the English voice reads the pinyin
  as written ("Zhang Wei", "Xu Jing"), in the same breath as the carrier,
  as an English-speaking driver reads a colleague's name. It is the pinyin
  spelling itself, never a respelling from the matcher's model. The parts are concatenated at
16 kHz with pocketsphinx's faint noise floor, and pocketsphinx's English model
from its PyPI wheel transcribes them, best first with its n-best list: with
its *default* language model (``--lm stock``: no names in it, a generic
recogniser) or with the domain model DriveTalk's pocketsphinx engine builds
from the grammar and the directory's names (``--lm domain``).

The parser then reads the 1-best text, and the n-best list as the pipeline
hands it over. Per target the name slot is *right* (the target, not asked),
*asked* (ambiguous, the target among the candidates), *wrong* (another person,
not asked: the worst case) or *missed* (nobody, or not the target); or
*unparsed* when the carrier itself was not understood (no name slot at
all: the recogniser lost the command, not only the name). The spoken names
are split by seed into a *tune* half (what the matcher may be improved on)
and a *held-out* half (reported, never looked at while tuning).

Synthesis and recognition are slow (~1.5 s of CPU per utterance), so
transcripts are cached under the system's temp dir (``--cache``), keyed by
the spoken parts, the recogniser's version and its language model: never in
the repository.

Run: ``PYTHONPATH=.:benchmarks .venv/bin/python benchmarks/names_spoken.py``
(``--lm stock|domain``, ``--chinese-voice mandarin|english``, ``--names N``,
``--people N``, ``--seed N``, ``--half tune|held-out|both``, ``--show [KINDS]``,
``--json``, ``--cache DIR``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import random
import subprocess
import tempfile
import time
import wave
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from names_misheard import directory, is_chinese
from names_misheard import outcome as slot_outcome
from parser_bench import GIVEN, SURNAMES, ZH_GIVEN, ZH_SURNAMES, percentile

from assistant.models import Contact, Hypothesis, Word
from intents.grammar import load_grammar
from intents.parser import Parser
from intents.result import ContactResolution

SEED = 20261206
RATE = 16000
#: (carrier before the name, carrier after it, the slot that holds the name).
CARRIERS: tuple[tuple[str, str, str], ...] = (
    ("send a message to", "saying the trucks are loaded", "recipient"),
    ("what's", "'s number", "contact"),
    ("read my messages from", "", "sender"),
)
ENGLISH, CHARACTERS, PINYIN = "en-us", "cmn", "cmn-latn-pinyin"
#: How Chinese names are said (``--chinese-voice``): a Mandarin voice, or the
#: English voice reading the pinyin as written.
MANDARIN, ENGLISH_READING = "mandarin", "english"
#: Silence around the utterance and between its parts, seconds.
LEAD, GAP = 0.3, 0.05
#: The noise floor pocketsphinx's engine adds (assistant/asr/sphinx_engine.py).
NOISE_DBFS = -55.0
ALTERNATIVES = 5
KINDS = ("right", "asked", "wrong", "missed", "unparsed")


@dataclass(frozen=True, slots=True)
class Spoken:
    """One target said in one carrier: the parts espeak-ng speaks, in order."""

    target: Contact
    parts: tuple[tuple[str, str], ...]  # (voice, text)
    slot: str
    voice: str  # the name's voice

    def key(self, model: str) -> str:
        """What the transcript of this audio under the language model ``model`` is cached under."""
        extra = [] if model == "stock" else [model]
        said = json.dumps(
            [self.parts, version("pocketsphinx"), NOISE_DBFS, ALTERNATIVES, "words", *extra]
        )
        return hashlib.sha256(said.encode()).hexdigest()[:32]


def name_parts(
    contact: Contact, rng: random.Random, chinese_voice: str = MANDARIN
) -> tuple[str, str]:
    """The voice and text a name is said in: English, or Mandarin (characters or
    pinyin); a Chinese name in English when ``chinese_voice`` is ``english``."""
    if not is_chinese(contact.name):
        return ENGLISH, contact.name
    if chinese_voice == ENGLISH_READING:
        rng.random()  # the same draws as the Mandarin mode: the same carriers
        return ENGLISH, contact.name
    surname, given = contact.name.lower().split()
    syllables = [surname, *_given_syllables(given)]
    characters = _characters(syllables)
    if rng.random() < 0.5:
        return CHARACTERS, characters
    return PINYIN, " ".join(f"{s}{_tone(ch)}" for s, ch in zip(syllables, characters, strict=True))


def spoken(contact: Contact, rng: random.Random, chinese_voice: str = MANDARIN) -> Spoken:
    """``contact`` said in a carrier phrase drawn from :data:`CARRIERS`."""
    before, after, slot = rng.choice(CARRIERS)
    voice, name = name_parts(contact, rng, chinese_voice)
    if voice == ENGLISH:  # one voice: said in one breath, as a person would
        joined = f"{before} {name}" + (after if after.startswith("'") else f" {after}")
        parts = [(ENGLISH, joined.strip())]
    else:
        parts = [(ENGLISH, before), (voice, name)]
        if after:
            parts.append((ENGLISH, after))
    return Spoken(contact, tuple(parts), slot, voice)


def _given_syllables(given: str) -> list[str]:
    for cut in range(1, len(given)):
        if given[:cut] in GIVEN and given[cut:] in GIVEN:
            return [given[:cut], given[cut:]]
    return [given]


def _characters(syllables: Sequence[str]) -> str:
    """The name in characters (parser_names.yaml pairs each syllable with one)."""
    surname = ZH_SURNAMES[SURNAMES.index(syllables[0])]
    return surname + "".join(ZH_GIVEN[GIVEN.index(s)] for s in syllables[1:])


def _tone(character: str) -> str:
    from pypinyin import Style, pinyin

    reading = pinyin(character, style=Style.TONE3, heteronym=False)[0][0]
    return reading[-1] if reading[-1].isdigit() else "5"


# -- speech ------------------------------------------------------------------


def synthesise(parts: Sequence[tuple[str, str]]) -> np.ndarray:
    """The parts spoken by espeak-ng, resampled and concatenated: int16 at 16 kHz."""
    import soxr

    gap = np.zeros(int(GAP * RATE), np.float32)
    pieces = [np.zeros(int(LEAD * RATE), np.float32)]
    for voice, text in parts:
        pieces += [_espeak(voice, text, soxr), gap]
    pieces.append(np.zeros(int(LEAD * RATE), np.float32))
    audio = np.concatenate(pieces) * 32768.0
    # pocketsphinx's engine adds this floor to every chunk: digital silence
    # is outside what its acoustic model was trained on.
    hiss = np.random.default_rng(0).normal(0.0, 32768.0 * 10 ** (NOISE_DBFS / 20), audio.size)
    return np.clip(np.rint(audio + hiss), -32768, 32767).astype("<i2")


def _espeak(voice: str, text: str, soxr: Any) -> np.ndarray:
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, check=True, timeout=60
    ).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        rate = reader.getframerate()
        pcm = np.frombuffer(reader.readframes(reader.getnframes()), "<i2")
    return np.asarray(soxr.resample(pcm.astype(np.float32) / 32768.0, rate, RATE), np.float32)


class Recogniser:
    """pocketsphinx's English model from its wheel, with its default language
    model (``stock``) or with DriveTalk's domain model built from the grammar
    and the directory's names (``domain``, what the pocketsphinx engine uses)."""

    def __init__(self, lm: str, names: Sequence[str], cache_dir: Path) -> None:
        import pocketsphinx

        from assistant.asr.sphinx_engine import CMN_INIT, load_sphinx_model

        options: dict[str, Any] = {"samprate": RATE, "cmninit": CMN_INIT, "loglevel": "FATAL"}
        self.key = "stock"
        if lm == "domain":
            model = load_sphinx_model(names, cache_dir / "domain-lm")
            options.update(lm=str(model.domain.lm_path), dict=str(model.domain.dict_path))
            self.key = f"domain:{model.domain.key}"
        self._options = options
        self._pocketsphinx = pocketsphinx

    @cached_property
    def decoder(self) -> Any:
        """The decoder, loaded when a transcript is not in the cache."""
        return self._pocketsphinx.Decoder(**self._options)

    def __call__(self, pcm: np.ndarray) -> Heard:
        """The transcript, best first, with its n-best rivals and word confidences."""
        return recognise(self.decoder, pcm)


#: What one utterance was heard as: the n-best (text, score), best first, and
#: the best path's words with their posterior confidences.
Heard = tuple[list[tuple[str, float]], list[tuple[str, float]]]


def recognise(sphinx: Any, pcm: np.ndarray) -> Heard:
    """The transcript, best first, with its n-best rivals and the best path's word confidences."""
    from assistant.asr.sphinx_engine import _final

    sphinx.start_utt()
    sphinx.process_raw(pcm.tobytes(), False, True)
    sphinx.end_utt()
    final = _final(sphinx, ALTERNATIVES)
    words = [(w.word, w.confidence) for w in final.words]
    if not final.alternatives:
        return [(final.text, 1.0)], words
    return [(h.text, h.score) for h in final.alternatives], words


def transcripts(said: Sequence[Spoken], recogniser: Recogniser, cache_dir: Path) -> Iterator[Heard]:
    """Each utterance's n-best and word confidences, from ``cache_dir`` or
    synthesised and recognised now."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    for item in said:
        path = cache_dir / f"{item.key(recogniser.key)}.json"
        if path.exists():
            kept = json.loads(path.read_text(encoding="utf-8"))
            yield [(t, s) for t, s in kept["nbest"]], [(w, c) for w, c in kept["words"]]
            continue
        nbest, words = recogniser(synthesise(item.parts))
        path.write_text(json.dumps({"nbest": nbest, "words": words}), encoding="utf-8")
        yield nbest, words


def hypotheses_of(heard: Heard) -> list[Hypothesis]:
    """The n-best as the engine hands it to the parser: the best with its words."""
    nbest, words = heard
    said = tuple(Word(word=w, start=0.0, end=0.0, confidence=c) for w, c in words)
    return [
        Hypothesis(text=t, score=s, words=said if i == 0 else ()) for i, (t, s) in enumerate(nbest)
    ]


# -- scoring -----------------------------------------------------------------


def outcome(value: object, target: Contact) -> str:
    """right / asked / wrong / missed for one name slot; unparsed without one
    (the carrier phrase itself was not understood)."""
    if value is None:
        return "unparsed"
    if isinstance(value, tuple):  # several names heard: the one meant, if any
        found = [v for v in value if isinstance(v, ContactResolution) and v.candidates]
        value = found[0] if found else None
    return slot_outcome(value, target)


def name_slot(slots: dict[str, Any], slot: str) -> object:
    """The resolution of the name, in the slot the carrier puts it in (or any other)."""
    if slot in slots:
        return slots[slot]
    for value in slots.values():
        if isinstance(value, ContactResolution):
            return value
    return None


@dataclass
class Tally:
    """Outcomes per half, per kind of name, per reading (1-best / n-best)."""

    counts: dict[tuple[str, str, str], Counter[str]]

    def add(self, half: str, group: str, reading: str, kind: str) -> None:
        """Count one outcome under its half and group, and under "all"."""
        for g in (group, "all"):
            self.counts.setdefault((half, g, reading), Counter())[kind] += 1

    def rows(self) -> list[dict[str, Any]]:
        """One row per (half, group, reading): counts and shares."""
        rows = []
        for (half, group, reading), counted in sorted(self.counts.items()):
            total = sum(counted.values())
            row: dict[str, Any] = {"half": half, "group": group, "reading": reading, "n": total}
            row.update({k: counted[k] / total for k in KINDS})
            rows.append(row)
        return rows


def split(targets: Sequence[Contact], seed: int) -> dict[str, str]:
    """Each target's half, tune or held-out, drawn by ``seed``."""
    order = list(targets)
    random.Random(f"halves-{seed}").shuffle(order)
    return {c.id: ("tune" if i % 2 == 0 else "held-out") for i, c in enumerate(order)}


def targets_of(contacts: Sequence[Contact], names: int, rng: random.Random) -> list[Contact]:
    """Half Chinese, half English names, each unique in the directory."""
    counts = Counter(c.name for c in contacts)
    unique = [c for c in contacts if counts[c.name] == 1]
    chinese = [c for c in unique if is_chinese(c.name)]
    english = [c for c in unique if not is_chinese(c.name)]
    return rng.sample(chinese, names - names // 2) + rng.sample(english, names // 2)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Speak, recognise and resolve every target; the tallies and timings."""
    rng = random.Random(args.seed)
    contacts = directory(args.people, rng, distinct=True)
    targets = targets_of(contacts, args.names, rng)
    halves = split(targets, args.seed)
    said = [spoken(t, rng, args.chinese_voice) for t in targets]
    # Only the half asked for is decoded (the draws above stay the same).
    said = [s for s in said if args.half in ("both", halves[s.target.id])]
    load_grammar("en")
    parser = Parser.from_contacts(contacts)
    now = datetime(2026, 12, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    tally = Tally({})
    cpu: list[float] = []
    shown: list[str] = []
    started = time.perf_counter()
    recogniser = Recogniser(args.lm, [c.name for c in contacts], args.cache)
    for item, heard in zip(said, transcripts(said, recogniser, args.cache), strict=True):
        half = halves[item.target.id]
        group = "chinese" if is_chinese(item.target.name) else "english"
        hypotheses = hypotheses_of(heard)
        for reading, utterance in (("1-best", heard[0][0][0]), ("n-best", hypotheses)):
            begun = time.thread_time()
            result = parser.parse(utterance, now=now)
            cpu.append((time.thread_time() - begun) * 1000)
            kind = outcome(name_slot(result.slots, item.slot), item.target)
            tally.add(half, group, reading, kind)
            if kind in args.show and reading == "n-best":
                shown.append(
                    f"  {half} {kind}: {item.target.name!r} ({item.voice}) heard"
                    f" {[t for t, _ in heard[0]]!r} {heard[1]!r} -> {result.to_json()['slots']}"
                )
    return {
        "directory": len(contacts),
        "names": len(targets),
        "seed": args.seed,
        "lm": args.lm,
        "chinese_voice": args.chinese_voice,
        "rows": tally.rows(),
        "parse_cpu_ms": {"p50": percentile(cpu, 50), "p99": percentile(cpu, 99)},
        "seconds": time.perf_counter() - started,
        "shown": shown,
    }


def report(figures: dict[str, Any]) -> str:
    """The figures as the lines BENCHMARKS.md quotes."""
    lines = [
        f"- Machine: {platform.machine()}, Python {platform.python_version()};"
        f" load average {os.getloadavg()[0]:.2f}",
        f"- Directory: {figures['directory']} distinct names; {figures['names']} spoken"
        f" (seed {figures['seed']}); language model {figures['lm']};"
        f" Chinese names said by the {figures['chinese_voice']} voice; {figures['seconds']:.0f} s",
        "| half | names | reading | n | right | asked | confidently wrong | missed | unparsed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in figures["rows"]:
        shares = " | ".join(f"{row[k]:.1%}" for k in KINDS)
        lines.append(
            f"| {row['half']} | {row['group']} | {row['reading']} | {row['n']} | {shares} |"
        )
    cpu = figures["parse_cpu_ms"]
    lines.append(f"- Parse CPU p50 {cpu['p50']:.2f} ms, p99 {cpu['p99']:.2f} ms")
    return "\n".join([*figures["shown"], *lines])


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (also what the scaled test passes)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--names", type=int, default=200, help="targets spoken (half Chinese)")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=SEED, help="directory, targets, halves")
    parser.add_argument("--half", choices=("tune", "held-out", "both"), default="both")
    parser.add_argument(
        "--lm",
        choices=("stock", "domain"),
        default="stock",
        help="the recogniser's language model: pocketsphinx's own, or DriveTalk's domain model",
    )
    parser.add_argument(
        "--chinese-voice",
        choices=(MANDARIN, ENGLISH_READING),
        default=MANDARIN,
        help="Chinese names in a Mandarin voice, or read as written by the English voice",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "drivetalk-names-spoken",
        help="where transcripts are kept between runs (never the repository)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--show", nargs="*", default=None, choices=KINDS)
    args = parser.parse_args(argv)
    if args.show is None:
        args.show = ()
    elif not args.show:
        args.show = ("wrong", "missed")
    return args


def main() -> None:
    """Run the benchmark and print its figures."""
    args = arguments()
    figures = run(args)
    print(json.dumps(figures, indent=1) if args.json else report(figures))


if __name__ == "__main__":
    main()
