"""The generated language model: sentences from the grammar, pronunciations, the disk cache."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from assistant.asr.arpa import GAP
from assistant.asr.lm_corpus import corpus_source, sentences
from assistant.errors import ConfigError

NAMES = ["Zhang San", "Li Na", "Xiaoming Qwzx", "R2D2 Unit"]


def test_the_corpus_is_the_same_on_every_run() -> None:
    source = corpus_source("en", NAMES)
    assert list(sentences(source, samples=3)) == list(sentences(source, samples=3))


def test_the_corpus_says_the_directory_names_in_commands() -> None:
    corpus = [" ".join(s) for s in sentences(corpus_source("en", NAMES))]
    assert any("zhang san" in s and "message" in s for s in corpus)
    assert any(s.startswith(("what's", "what is")) for s in corpus)
    assert any(GAP in s for s in corpus)  # bodies are left to the general model
    assert "yes" in corpus


def test_a_hyphenated_name_is_said_as_its_words() -> None:
    # "hill-king" has no pronunciation: the person would be missing from the model.
    assert corpus_source("en", ["Robert Hill-King"]).names == ("robert hill king",)


def test_a_locale_without_sentences_is_refused() -> None:
    with pytest.raises(ConfigError, match="locale 'xx'"):
        corpus_source("xx", NAMES)


@pytest.fixture(scope="module")
def sphinx_root() -> Path:
    from assistant.asr.sphinx_engine import shipped_model_dir

    pytest.importorskip("pocketsphinx")
    return shipped_model_dir()


def _build(root: Path, cache: Path, names: list[str]):  # type: ignore[no-untyped-def]
    from assistant.asr.sphinx_lm import domain_model

    return domain_model(
        "en",
        names,
        stock=root / "en-us.lm.bin",
        dictionary=root / "cmudict-en-us.dict",
        cache_dir=cache,
    )


@pytest.mark.slow
def test_the_model_is_built_once_and_then_read_from_the_cache(
    sphinx_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="assistant.asr.sphinx_lm"):
        built = _build(sphinx_root, tmp_path, NAMES)
    assert not built.cached
    assert built.guessed >= 1  # "qwzx" has no dictionary entry: spelled out
    assert built.dropped >= 1  # "r2d2" cannot be spelled out: its sentences dropped
    assert "pronunciations guessed" in caplog.text
    again = _build(sphinx_root, tmp_path, NAMES)
    assert again.cached
    assert again.key == built.key
    assert again.lm_path.read_bytes() == built.lm_path.read_bytes()
    other = _build(sphinx_root, tmp_path, ["Li Na"])
    assert other.key != built.key  # another directory, another model


@pytest.mark.slow
def test_every_word_of_the_model_has_a_pronunciation(sphinx_root: Path, tmp_path: Path) -> None:
    built = _build(sphinx_root, tmp_path, NAMES)
    said = {
        line.split()[0].split("(")[0] for line in built.dict_path.read_text("utf-8").splitlines()
    }
    lm_words = set()
    section = False
    for line in built.lm_path.read_text("utf-8").splitlines():
        if line.startswith("\\"):
            section = line == "\\1-grams:"
            continue
        if section and line.strip():
            lm_words.add(line.split("\t")[1])
    assert lm_words - {"<s>", "</s>"} <= said
    assert {"zhang", "qwzx", "message"} <= said
    assert "r2d2" not in lm_words


def test_a_pinyin_name_word_gets_both_readings_after_its_dictionary_entry() -> None:
    from assistant.asr.sphinx_lm import Pronunciations, name_readings

    readings = name_readings(["xu weiming", "he long"], common={"he", "long"})
    assert readings == {"xu": ["SH UW", "Z UW"], "weiming": ["W EY M IH NG"]}
    dictionary = Pronunciations({"xu": ["Z UW"], "he": ["HH IY"]})
    lines = dictionary.lines(["xu", "weiming", "he"], {"weiming": "W EY M IH NG"}, readings)
    # CMUdict's reading first, the Mandarin-like one added; everyday words keep theirs.
    assert lines == ["he HH IY", "weiming W EY M IH NG", "xu Z UW", "xu(2) SH UW"]
