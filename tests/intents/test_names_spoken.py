"""Names as a real recogniser delivers them (benchmarks/names_spoken.py, scaled down).

espeak-ng speaks directory names inside English carrier phrases (Chinese
names in a Mandarin voice), pocketsphinx's English model writes what it
heard with its default language model, and the parser resolves the name.
The full run is a benchmark (BENCHMARKS.md); here a few dozen names in a
directory large enough for the large-directory rules check that the whole
chain runs and that what the recogniser makes of a name never sends a
message to someone else without asking more often than the target allows.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from assistant.models import Contact
from intents.result import ContactCandidate, ContactResolution

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def spoken(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The benchmark's module (it imports its siblings as top-level modules)."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import names_spoken

    return names_spoken


def _person(ident: str, name: str) -> Contact:
    return Contact(id=ident, name=name, department="Sales")


def test_chinese_names_are_said_in_a_mandarin_voice_inside_an_english_carrier(
    spoken: ModuleType,
) -> None:
    rng = random.Random(1)
    voices = set()
    for _ in range(20):
        said = spoken.spoken(_person("p1", "Zhang Weiming"), rng)
        assert said.parts[0][0] == spoken.ENGLISH
        assert said.voice in (spoken.CHARACTERS, spoken.PINYIN)
        name = next(text for voice, text in said.parts if voice == said.voice)
        assert name == ("张伟明" if said.voice == spoken.CHARACTERS else "zhang1 wei3 ming2")
        voices.add(said.voice)
    assert voices == {spoken.CHARACTERS, spoken.PINYIN}


def test_read_as_written_a_chinese_name_is_said_by_the_english_voice_in_the_same_carrier(
    spoken: ModuleType,
) -> None:
    person = _person("p1", "Zhang Weiming")
    for seed in range(10):
        harsh = spoken.spoken(person, random.Random(seed), spoken.MANDARIN)
        realistic = spoken.spoken(person, random.Random(seed), spoken.ENGLISH_READING)
        assert realistic.voice == spoken.ENGLISH
        assert len(realistic.parts) == 1  # one breath, as an English name
        assert "Zhang Weiming" in realistic.parts[0][1]  # the spelling, no respelling
        assert realistic.slot == harsh.slot  # the same carrier in both modes
        assert realistic.parts[0][1].startswith(harsh.parts[0][1])


def test_english_names_are_said_with_their_carrier_in_one_english_breath(
    spoken: ModuleType,
) -> None:
    said = spoken.spoken(_person("p2", "Robert Hill-King"), random.Random(3))
    assert said.voice == spoken.ENGLISH
    assert len(said.parts) == 1
    assert "Robert Hill-King" in said.parts[0][1]


def test_the_halves_are_disjoint_even_and_fixed_by_the_seed(spoken: ModuleType) -> None:
    people = [_person(f"p{i}", f"Person {i}") for i in range(40)]
    halves = spoken.split(people, 7)
    assert list(halves.values()).count("tune") == 20
    assert halves == spoken.split(people, 7)
    assert halves != spoken.split(people, 8)


OUTCOMES: list[tuple[str, object, str]] = [
    ("no name slot: the carrier was lost", None, "unparsed"),
    ("nobody found", ContactResolution(query="x"), "missed"),
    ("the target, not asked", "target", "right"),
    ("someone else, not asked", "other", "wrong"),
    ("asked, the target among the candidates", "asked-target", "asked"),
    ("asked, the target not among them", "asked-other", "missed"),
]


@pytest.mark.parametrize(("case", "value", "kind"), OUTCOMES, ids=[c for c, _, _ in OUTCOMES])
def test_each_outcome_is_told_apart(spoken: ModuleType, case: str, value: Any, kind: str) -> None:
    target, other = _person("t", "Li Wei"), _person("o", "Li Hui")
    candidates = {
        "target": ((target,), False),
        "other": ((other,), False),
        "asked-target": ((other, target), True),
        "asked-other": ((other,), True),
    }
    if isinstance(value, str):
        people, ambiguous = candidates[value]
        value = ContactResolution(
            query="li way",
            candidates=tuple(ContactCandidate(p, 0.9) for p in people),
            ambiguous=ambiguous,
        )
    assert spoken.outcome(value, target) == kind, case


@pytest.mark.espeak
@pytest.mark.slow
def test_a_scaled_run_through_espeak_and_pocketsphinx(spoken: ModuleType, tmp_path: Path) -> None:
    pytest.importorskip("pocketsphinx")
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    args = spoken.arguments(["--names", "20", "--people", "6000", "--cache", str(tmp_path)])
    figures = spoken.run(args)
    rows = {(r["half"], r["group"], r["reading"]): r for r in figures["rows"]}
    for half in ("tune", "held-out"):
        for reading in ("1-best", "n-best"):
            assert rows[(half, "all", reading)]["n"] == 10
    # Every utterance was transcribed once and kept, outside the repository.
    assert len(list(tmp_path.glob("*.json"))) == 20
    for reading in ("1-best", "n-best"):
        wrong = round(sum(rows[(h, "all", reading)]["wrong"] * 10 for h in ("tune", "held-out")))
        # What a recogniser made of a name sends to someone else without
        # asking at most once in 20 (0-2 % on the full run, BENCHMARKS.md).
        assert wrong <= 1, (reading, figures["rows"])
    # A second run reads the kept transcripts: the same figures.
    assert spoken.run(args)["rows"] == figures["rows"]
