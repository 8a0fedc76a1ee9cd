"""Benchmark: which espeak-ng Mandarin voice speaks DriveTalk's Chinese replies correctly.

No Mandarin recogniser can be installed here (vosk's Chinese models cannot
be downloaded), so the voices are judged by two measures that run here:

* **reading**: espeak-ng's own phoneme transcript of what it says (``-x``),
  split into syllables at its tone marks. Each syllable's tone (55 -> 1,
  35 -> 2, 21x -> 3, 51/53 -> 4, anything else -> neutral/English) is
  aligned with the tones pypinyin gives the characters (in context, with tone
  sandhi): the *syllable tone error rate* is the edit distance over the
  expected syllables (a syllable missing, added or in the wrong tone).
  ``(en)`` marks where the voice switched to English letters-and-digits
  reading (给 as "gei three"). The reference is pypinyin's reading, so this
  measure shows how far each voice departs from it; the listening measure
  below does not depend on pypinyin.
* **listening**: the audio itself, rendered to WAV: its duration, and the
  number of syllable nuclei found in it (peaks of the 300-2500 Hz band
  energy, 4 dB prominence, 90 ms apart) against the number of characters.
  A voice that says "gei three" for 给 has too many syllables and too
  much time.

Candidates: ``cmn`` reading characters; ``cmn-latn-pinyin`` reading
characters; ``cmn-latn-pinyin`` reading pypinyin's tone-numbered pinyin
(what DriveTalk does). Mixed sentences (Latin names inside Chinese) are
scored on whether each Latin word is read with English phonemes.

    .venv/bin/python benchmarks/tts_mandarin.py [--out FILE.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assistant.replay.synth import OUT_RATE, espeak_binary, espeak_version, speak, trim
from assistant.scripts import is_han
from assistant.tts.reading import split_runs, to_pinyin

ROOT = Path(__file__).resolve().parent
SENTENCES = ROOT / "data" / "zh_tts_sentences.txt"
RATE_WPM = 175
_TONE = re.compile(r"(\d{2,3})")
_TONE_CLASS = {"55": "1", "35": "2", "21": "3", "214": "3", "213": "3", "51": "4", "53": "4"}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A voice and what it is given for a Chinese sentence."""

    name: str
    voice: str
    prepare: Callable[[str], str]


CANDIDATES = (
    Candidate("cmn, characters", "cmn", lambda text: text),
    Candidate("cmn-latn-pinyin, characters", "cmn-latn-pinyin", lambda text: text),
    Candidate("cmn-latn-pinyin, pypinyin TONE3 (chosen)", "cmn-latn-pinyin", to_pinyin),
)


def phonemes(text: str, voice: str) -> str:
    """espeak-ng's phoneme transcript of ``text`` in ``voice``."""
    done = subprocess.run(
        [espeak_binary(), "-q", "-x", "-v", voice, "-s", str(RATE_WPM), "--", text],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return " ".join(done.stdout.split())


def expected_tones(text: str) -> list[str]:
    """The tone of every character as said in context ("5": neutral).

    pypinyin's tones (with its 一/不 changes), then the third-tone change
    within a phrase (a 3 before a 3 is said as a 2), which espeak-ng's
    pinyin voice makes itself.
    """
    tones: list[str] = []
    for phrase in re.split(r"[,.;:!?]", to_pinyin(text)):
        said = [s[-1] for s in phrase.split() if s[-1].isdigit()]
        for i in range(len(said) - 1):
            if said[i] == "3" and said[i + 1] == "3":
                said[i] = "2"
        tones += said
    return tones


def spoken_tones(transcript: str) -> list[str]:
    """The tone class of every syllable espeak-ng says ("5" neutral or not a Mandarin tone)."""
    return [_TONE_CLASS.get(mark, "5") for mark in _TONE.findall(transcript)]


def edit_distance(a: list[str], b: list[str]) -> int:
    """Levenshtein distance between two sequences."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def nuclei(samples: npt.NDArray[np.float32], rate: int = OUT_RATE) -> int:
    """Syllable nuclei: prominent peaks of the 300-2500 Hz band energy (dB)."""
    hop, width = rate // 100, rate // 40
    frames = [samples[i : i + width] for i in range(0, len(samples) - width, hop)]
    if not frames:
        return 0
    freqs = np.fft.rfftfreq(width, 1.0 / rate)
    band = (freqs >= 300) & (freqs <= 2500)
    window = np.hanning(width)
    energy = np.array([np.sum(np.abs(np.fft.rfft(f * window))[band] ** 2) for f in frames])
    level = 10 * np.log10(energy + 1e-10)
    level = np.convolve(level, np.ones(5) / 5, mode="same")
    floor = level.max() - 30
    peaks: list[int] = []
    for i in range(1, len(level) - 1):
        if not (level[i] >= level[i - 1] and level[i] > level[i + 1] and level[i] > floor):
            continue
        left = level[max(0, i - 25) : i].min(initial=level[i])
        right = level[i + 1 : i + 26].min(initial=level[i])
        if level[i] - max(left, right) < 4.0:
            continue
        if peaks and i - peaks[-1] < 9:
            if level[i] > level[peaks[-1]]:
                peaks[-1] = i
            continue
        peaks.append(i)
    return len(peaks)


@dataclass
class Tally:
    """Sums over the sentences for one candidate."""

    characters: int = 0
    tone_errors: int = 0
    english: int = 0
    seconds: float = 0.0
    nuclei_error: int = 0
    sentences_exact: int = 0
    sentences: int = 0

    def add(self, text: str, transcript: str, samples: npt.NDArray[np.float32]) -> None:
        expected = expected_tones(text)
        found = nuclei(samples)
        self.characters += len(expected)
        self.tone_errors += edit_distance(spoken_tones(transcript), expected)
        self.english += transcript.count("(en)")
        self.seconds += len(samples) / OUT_RATE
        self.nuclei_error += abs(found - len(expected))
        self.sentences_exact += abs(found - len(expected)) <= 1
        self.sentences += 1

    def row(self, name: str) -> str:
        n = max(1, self.characters)
        return (
            f"| {name} | {self.tone_errors / n:.1%} | {self.english} | "
            f"{self.seconds / n * 1000:.0f} | {self.nuclei_error / n:.1%} | "
            f"{self.sentences_exact}/{self.sentences} |"
        )


def latin_words_in_english(line: str, voice: str) -> tuple[int, int]:
    """(Latin words ``voice`` reads with English phonemes, Latin words) of a mixed sentence.

    A Mandarin voice marks a switch to English with ``(en)``; an English
    voice reads English throughout (no switch to another language).
    """
    words = [w for run in split_runs(line) if run.script == "latin" for w in run.text.split()]
    if voice.startswith("en"):
        return sum(1 for w in words if "(" not in phonemes(w, voice)), len(words)
    return sum(1 for w in words if "(en)" in phonemes(w, voice)), len(words)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    lines = [
        line.strip()
        for line in SENTENCES.read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    chinese = [line for line in lines if not re.search(r"[A-Za-z]", line)]
    mixed = [line for line in lines if re.search(r"[A-Za-z]", line)]
    tallies = {c.name: Tally() for c in CANDIDATES}
    for text in chinese:
        for cand in CANDIDATES:
            given = cand.prepare(text)
            samples = trim(speak(given, cand.voice, RATE_WPM))
            tallies[cand.name].add(text, phonemes(given, cand.voice), samples)
    out = [
        "### Mandarin speech out: espeak-ng voices compared",
        "",
        f"Command: `.venv/bin/python benchmarks/tts_mandarin.py {' '.join(sys.argv[1:])}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, espeak-ng {espeak_version()}  ",
        f"Corpus: {len(chinese)} Chinese sentences "
        f"({sum(sum(map(is_han, t)) for t in chinese)} characters) and {len(mixed)} mixed "
        f"ones from `benchmarks/data/zh_tts_sentences.txt`, {RATE_WPM} wpm",
        "",
        "| voice, given | syllable tone error rate | English switches | ms per character "
        "| nuclei count error | sentences within 1 nucleus |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    out += [tallies[c.name].row(c.name) for c in CANDIDATES]
    out += ["", "| mixed sentences, Latin words read as English | words |", "|---|---:|"]
    for name, voice in (
        ("cmn reads them", "cmn"),
        ("cmn-latn-pinyin reads them", "cmn-latn-pinyin"),
        ("Latin runs go to en-us (chosen)", "en-us"),
    ):
        got = [latin_words_in_english(line, voice) for line in mixed]
        english, total = sum(g[0] for g in got), sum(g[1] for g in got)
        out.append(f"| {name} | {english}/{total} |")
    text = "\n".join(out) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
