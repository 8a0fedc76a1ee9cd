"""``scripts/train_arbiter.py`` end to end on a tiny dataset (issue 15, item 3).

Specification: the script cross-validates, trains, and writes a model and its
record that the parser's loader accepts; the record names every source with
its hash and the thresholds it chose; the same data gives the same bytes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from intents.arbiter import OUT_OF_DOMAIN, read_model
from tests.intents.conftest import load

ROOT = Path(__file__).resolve().parents[2]


def _write_sets(folder: Path) -> list[Path]:
    paths = []
    for name, intents in load("arbiter_tiny.yaml").items():
        path = folder / f"{name}.jsonl"
        lines = [
            json.dumps({"slurp_id": i, "sentence": text, "intent": intent})
            for i, (intent, text) in enumerate(
                (intent, text) for intent, texts in intents.items() for text in texts
            )
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _train(sets: list[Path], out: Path, *more: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "scripts" / "train_arbiter.py"), "--locale", "en"]
    command += ["--sets", *map(str, sets), "--extra", "--no-slurp", "--no-spec", "--no-train-spec"]
    command += ["--grammar-samples", "0", "--out", str(out), *more]
    return subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)


def test_the_training_script_writes_a_model_the_parser_loads(tmp_path: Path) -> None:
    sets = _write_sets(tmp_path)
    done = _train(sets, tmp_path / "model")
    assert done.returncode == 0, done.stderr
    weights, record = tmp_path / "model" / "arbiter_en.npz", tmp_path / "model" / "arbiter_en.json"
    model = read_model(weights, record)
    assert set(model.labels) == {"send_message", "query_calendar", OUT_OF_DOMAIN}
    assert model.verdict("text li na that the truck is here").label == "send_message"
    recorded = json.loads(record.read_text(encoding="utf-8"))
    assert [s["name"] for s in recorded["sources"]] == ["first", "second"]
    for source, path in zip(recorded["sources"], sets, strict=True):
        assert source["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert set(recorded["cross_validation"]["sets"]) == {"first", "second"}
    assert set(recorded["thresholds"]) == {
        "accept_action",
        "accept_question",
        "reject",
        "override",
        "promote",
        "correct",
        "switch",
        "overrule",
        "reject_reply",
        "reject_create",
        "accept_create",
    }
    # English thresholds are per intent by default, with a false action costing 4.
    assert recorded["cross_validation"]["objective"] == {
        "false_cost": 4.0,
        "ceiling": None,
        "per_intent": True,
    }
    assert all(recorded["thresholds"][name] is not None for name in recorded["thresholds"])
    for figures in recorded["cross_validation"]["sets"].values():
        # Each set also scored with thresholds chosen without it.
        assert set(figures["held_out"]) == {"in_domain", "ood_false_actions"}
    assert recorded["features"] == {"skip_grams": False, "words": False}
    assert not model.features.skip_grams
    again = _train(sets, tmp_path / "again")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again" / "arbiter_en.npz").read_bytes() == weights.read_bytes()


def test_reused_out_of_fold_verdicts_give_the_same_model_and_thresholds(tmp_path: Path) -> None:
    sets = _write_sets(tmp_path)
    dump = tmp_path / "dump.json"
    first = _train(sets, tmp_path / "first", "--dump", str(dump))
    assert first.returncode == 0, first.stderr
    again = _train(sets, tmp_path / "again", "--reuse", str(dump))
    assert again.returncode == 0, again.stderr
    assert "reused out-of-fold verdicts of 2 sets" in again.stderr
    before = json.loads((tmp_path / "first" / "arbiter_en.json").read_text(encoding="utf-8"))
    after = json.loads((tmp_path / "again" / "arbiter_en.json").read_text(encoding="utf-8"))
    assert after["thresholds"] == before["thresholds"]
    assert after["out_of_fold_reused"] == ["first", "second"]
    assert (tmp_path / "again" / "arbiter_en.npz").read_bytes() == (
        tmp_path / "first" / "arbiter_en.npz"
    ).read_bytes()


def test_a_dump_of_another_recipe_is_refused(tmp_path: Path) -> None:
    sets = _write_sets(tmp_path)
    dump = tmp_path / "dump.json"
    assert _train(sets, tmp_path / "first", "--dump", str(dump)).returncode == 0
    other = _train(sets, tmp_path / "other", "--reuse", str(dump), "--c", "3")
    assert other.returncode != 0
    assert "another recipe" in other.stderr


def test_the_objective_is_chosen_on_the_command_line(tmp_path: Path) -> None:
    sets = _write_sets(tmp_path)
    done = _train(
        sets,
        tmp_path / "model",
        "--no-per-intent",
        "--false-cost",
        "2",
        "--max-false-actions",
        "0.01",
    )
    assert done.returncode == 0, done.stderr
    recorded = json.loads((tmp_path / "model" / "arbiter_en.json").read_text(encoding="utf-8"))
    assert recorded["cross_validation"]["objective"] == {
        "false_cost": 2.0,
        "ceiling": 0.01,
        "per_intent": False,
    }
    assert recorded["cross_validation"]["max_mean_false_actions"] <= 0.01
    # Shared thresholds only: the per-intent ones are recorded as "the shared one".
    assert {recorded["thresholds"][name] for name in ("reject_reply", "reject_create")} == {None}
    assert recorded["thresholds"]["accept_create"] is None


def _trainer(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The training script as a module (it is a script, not a package module)."""
    spec = importlib.util.spec_from_file_location(
        "train_arbiter", ROOT / "scripts" / "train_arbiter.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "train_arbiter", module)  # its dataclasses look it up
    spec.loader.exec_module(module)
    return module


def test_the_ways_near_misses_are_spec_lines_out_of_domain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ways.yaml").write_text(
        "ways:\n"
        "  en:\n"
        "    - way: a setting that mentions a meeting\n"
        "      cases:\n"
        "        - {text: 'text li na i am late', intent: send_message}\n"
        "      out_of_domain:\n"
        "        - 'change the reminder sound for my meetings'\n"
        "      near_misses:\n"
        "        - {text: 'put the budget meeting on for three', intent: create_event}\n",
        encoding="utf-8",
    )
    lines = {(line.text, line.label) for line in _trainer(monkeypatch).spec_lines("en", tmp_path)}
    assert lines == {
        ("text li na i am late", "send_message"),
        ("change the reminder sound for my meetings", OUT_OF_DOMAIN),
        ("put the budget meeting on for three", "create_event"),
    }


def test_thresholds_can_be_chosen_on_an_earlier_grammars_readings(tmp_path: Path) -> None:
    sets = _write_sets(tmp_path)
    saved = tmp_path / "readings.json.gz"
    first = _train(sets, tmp_path / "first", "--save-readings", str(saved), "--grammar-name", "abc")
    assert first.returncode == 0, first.stderr
    again = _train(sets, tmp_path / "again", "--readings", str(saved))
    assert again.returncode == 0, again.stderr
    recorded = json.loads((tmp_path / "again" / "arbiter_en.json").read_text(encoding="utf-8"))
    chosen_on = recorded["thresholds_chosen_on"]
    assert chosen_on["grammar"] == "abc"
    assert chosen_on["sha256"] == hashlib.sha256(saved.read_bytes()).hexdigest()
    for figures in recorded["cross_validation"]["sets"].values():
        assert set(figures) >= {"grammar", "arbiter", "earlier_grammar", "earlier_arbiter"}
    # The same readings: the same thresholds as choosing on this grammar's.
    before = json.loads((tmp_path / "first" / "arbiter_en.json").read_text(encoding="utf-8"))
    assert recorded["thresholds"] == before["thresholds"]
    assert before["thresholds_chosen_on"] == "this grammar's readings"


def test_readings_of_other_texts_are_refused(tmp_path: Path) -> None:
    sets = _write_sets(tmp_path)
    saved = tmp_path / "readings.json.gz"
    assert _train(sets, tmp_path / "one", "--save-readings", str(saved)).returncode == 0
    changed = sets[1].read_text(encoding="utf-8")
    changed += json.dumps({"slurp_id": 999, "sentence": "play some jazz", "intent": "play_music"})
    sets[1].write_text(changed + "\n", encoding="utf-8")
    other = _train(sets, tmp_path / "other", "--readings", str(saved))
    assert other.returncode != 0
    assert "has no readings of set second" in other.stderr
    missing = _train(sets, tmp_path / "missing", "--readings", str(tmp_path / "none.gz"))
    assert missing.returncode != 0
    assert "cannot read the readings" in missing.stderr
