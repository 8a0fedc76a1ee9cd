"""Comparing a replay with a previous one: which cases regressed, which were fixed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import InputFileError
from assistant.replay.baseline import Tolerance, case_wer, compare, load_baseline
from assistant.replay.results import CaseResult, Latency, TurnResult
from assistant.replay.scoring import WordErrors

BEFORE = Path("before.jsonl")


def case(
    case_id: str,
    *,
    ok: bool = True,
    reply_ms: float = 100.0,
    audio_ms: float | None = None,
    errors: int | None = None,
) -> CaseResult:
    turn = TurnResult(
        index=1,
        transcript="what's next",
        heard="what's next",
        expected_intent="query_calendar",
        intent="query_calendar" if ok else "none",
        confidence=0.9,
        expected_slots={},
        slots={},
        words=None if errors is None else WordErrors(errors, 0, 0, 100),
        latency=Latency(
            reply_text=reply_ms / 1000, reply_audio=None if audio_ms is None else audio_ms / 1000
        ),
    )
    return CaseResult(case_id, {}, (turn,), planned_turns=1)


def as_baseline(*results: CaseResult) -> dict[str, Any]:
    return {r.id: {"type": "case", **r.to_json()} for r in results}


@pytest.mark.parametrize(
    ("before", "now", "reasons"),
    [
        (case("a"), case("a"), []),
        (case("a"), case("a", ok=False), ["passed before, fails now: turn 1: intent none"]),
        (case("a", ok=False), case("a", ok=False), []),
        # Latency: worse by more than 100 ms AND by more than 25 %.
        (case("a", reply_ms=100), case("a", reply_ms=199), []),
        (
            case("a", reply_ms=100),
            case("a", reply_ms=201),
            ["slowest reply text 201 ms (was 100 ms)"],
        ),
        (case("a", reply_ms=800), case("a", reply_ms=950), []),
        (
            case("a", reply_ms=800),
            case("a", reply_ms=1001),
            ["slowest reply text 1001 ms (was 800 ms)"],
        ),
        # First reply audio is compared when both runs have it.
        (
            case("a", audio_ms=300),
            case("a", reply_ms=100, audio_ms=500),
            ["slowest first reply audio 500 ms (was 300 ms)"],
        ),
        # WER: up by more than 5 points.
        (case("a", errors=10), case("a", errors=10), []),
        (case("a", errors=10), case("a", errors=15), []),
        (case("a", errors=10), case("a", errors=16), ["WER 16.0% (was 10.0%)"]),
    ],
)
def test_what_counts_as_a_regression(
    before: CaseResult, now: CaseResult, reasons: list[str]
) -> None:
    comparison = compare(BEFORE, as_baseline(before), [now])
    found = [reason for r in comparison.regressions for reason in r.reasons]
    assert len(found) == len(reasons)
    for got, want in zip(found, reasons, strict=True):
        assert got.startswith(want)
    assert (comparison.verdict is None) == (not reasons)


def test_tolerances_are_settable() -> None:
    strict = Tolerance(latency_ms=10, wer=0.0)
    comparison = compare(
        BEFORE,
        as_baseline(case("a", reply_ms=100, errors=10)),
        [case("a", reply_ms=130, errors=11)],
        strict,
    )
    (regression,) = comparison.regressions
    assert regression.reasons == ("slowest reply text 130 ms (was 100 ms)", "WER 11.0% (was 10.0%)")


def test_fixed_and_new_cases_are_listed_but_no_regression() -> None:
    comparison = compare(BEFORE, as_baseline(case("a", ok=False)), [case("a"), case("b")])
    assert comparison.regressions == ()
    assert comparison.fixed == ("a",)
    assert comparison.new == ("b",)
    assert comparison.verdict is None


def test_the_verdict_names_the_cases() -> None:
    before = as_baseline(*(case(f"c{i}") for i in range(12)))
    comparison = compare(BEFORE, before, [case(f"c{i}", ok=False) for i in range(12)])
    assert comparison.verdict == (
        "12 cases regressed: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9 and 2 more"
    )


def test_case_wer_is_edits_over_reference_words() -> None:
    assert case_wer(case("a", errors=30).to_json()) == pytest.approx(0.3)
    assert case_wer(case("a").to_json()) is None


def test_a_results_file_in_either_shape_loads(tmp_path: Path) -> None:
    one, two = case("a"), case("b", ok=False)
    jsonl = tmp_path / "results.jsonl"
    lines = [json.dumps({"type": "case", **r.to_json()}) for r in (one, two)]
    jsonl.write_text("\n".join([*lines, json.dumps({"type": "summary"})]) + "\n", encoding="utf-8")
    assert {k: v["passed"] for k, v in load_baseline(jsonl).items()} == {"a": True, "b": False}
    whole = tmp_path / "results.json"
    whole.write_text(json.dumps({"cases": [one.to_json(), two.to_json()]}), encoding="utf-8")
    assert set(load_baseline(whole)) == {"a", "b"}


def test_an_unreadable_baseline(tmp_path: Path) -> None:
    bad = tmp_path / "results.jsonl"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(InputFileError, match="cannot read baseline"):
        load_baseline(bad)
