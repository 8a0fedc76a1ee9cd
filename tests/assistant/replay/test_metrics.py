"""Summary figures and release thresholds over replayed cases."""

from __future__ import annotations

import pytest

from assistant.config import GateSettings
from assistant.errors import UserInputError
from assistant.replay.gate import combine, from_options, gate_thresholds
from assistant.replay.metrics import (
    Threshold,
    by_tag,
    parse_threshold,
    percentiles,
    summarise,
)
from assistant.replay.results import CaseResult, Latency, TurnResult
from assistant.replay.scoring import WordErrors


def turn(
    index: int,
    *,
    intent: str = "send_message",
    expected: str = "send_message",
    slots: int = 2,
    wrong: tuple[str, ...] = (),
    words: WordErrors | None = None,
    final: float | None = None,
) -> TurnResult:
    names = [f"s{i}" for i in range(slots)]
    return TurnResult(
        index=index,
        transcript="t",
        heard="t",
        expected_intent=expected,
        intent=intent,
        confidence=0.9,
        expected_slots=dict.fromkeys(names, "x"),
        slots={},
        wrong_slots=wrong,
        words=words,
        latency=Latency(final=final, reply_text=0.01),
    )


def test_figures_count_turns_slots_outcomes_and_cases() -> None:
    good = CaseResult(
        "good",
        {"snr": "5"},
        (turn(1, words=WordErrors(0, 0, 0, 5), final=0.1), turn(2, slots=0)),
        planned_turns=2,
        planned_slots=2,
        outcome_problems=(),
    )
    wrong_slot = CaseResult(
        "wrong-slot",
        {"snr": "clean"},
        (turn(1, wrong=("s1",), words=WordErrors(1, 1, 0, 5), final=0.3),),
        planned_turns=1,
        planned_slots=2,
        outcome_problems=("sent: 0 (expected 1)",),
    )
    crashed = CaseResult(
        "crashed",
        {"snr": "clean"},
        (turn(1, intent="none", slots=0),),
        error="AudioFormatError: not a WAV file",
        planned_turns=3,
        planned_slots=1,
    )
    figures = summarise([good, wrong_slot, crashed])
    assert figures.cases == 3
    assert figures.turns == 6  # the crashed case's unreached turns count
    assert figures.errors == 1
    assert figures.wer == pytest.approx(2 / 10)
    assert figures.word_accuracy == pytest.approx(0.8)
    assert figures.intent_accuracy == pytest.approx(3 / 6)
    assert figures.slot_accuracy == pytest.approx(3 / 5)
    assert figures.command_acceptance == pytest.approx(2 / 6)
    assert figures.task_success == pytest.approx(1 / 2)
    assert figures.case_pass_rate == pytest.approx(1 / 3)
    final = figures.latency["final"]
    assert final is not None
    assert (final.p50, final.count) == (pytest.approx(0.2), 2)
    assert figures.latency["reply_audio"] is None
    groups = by_tag([good, wrong_slot, crashed])["snr"]
    assert list(groups) == ["5", "clean"]
    assert groups["clean"].cases == 2


def test_nothing_measured_is_none_not_zero() -> None:
    figures = summarise([CaseResult("a", {}, (turn(1, slots=0),), planned_turns=1)])
    assert figures.wer is None
    assert figures.slot_accuracy is None
    assert figures.task_success is None
    assert figures.to_json()["wer"] is None


def test_percentiles() -> None:
    p = percentiles([0.1 * i for i in range(1, 21)])
    assert p is not None
    assert p.p50 == pytest.approx(1.05)
    assert p.p95 == pytest.approx(1.905)
    assert percentiles([]) is None


@pytest.mark.parametrize(
    ("text", "metric", "minimum"),
    [
        ("intent_accuracy=0.9", "intent_accuracy", 0.9),
        ("command-acceptance=95%", "command_acceptance", 0.95),
        (" word_accuracy = 1 ", "word_accuracy", 1.0),
        ("task_success=0", "task_success", 0.0),
    ],
)
def test_thresholds_parse(text: str, metric: str, minimum: float) -> None:
    threshold = parse_threshold(text)
    assert (threshold.metric, threshold.bound, threshold.upper) == (
        metric,
        pytest.approx(minimum),
        False,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("intent_accuracy", "takes METRIC=VALUE"),
        ("intent_accuracy=", "takes METRIC=VALUE"),
        ("speed=0.5", "unknown metric 'speed'"),
        ("wer=0.1", "use word_accuracy"),
        ("intent_accuracy=high", "is not a number"),
        ("intent_accuracy=90", "not between 0 and 1"),
        ("intent_accuracy=nan", "not between 0 and 1"),
        ("intent_accuracy=-1%", "not between 0 and 1"),
    ],
)
def test_bad_thresholds(text: str, message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        parse_threshold(text)


def test_threshold_verdicts() -> None:
    figures = summarise([CaseResult("a", {}, (turn(1), turn(2, intent="none")), planned_turns=2)])
    assert parse_threshold("intent_accuracy=50%").check(figures) is None
    assert parse_threshold("intent_accuracy=0.51").check(figures) == (
        "intent_accuracy 50.0% is under 51.0%"
    )
    assert parse_threshold("word_accuracy=0.5").check(figures) == "word_accuracy was not measured"


def test_percentiles_include_p99() -> None:
    p = percentiles([0.1 * i for i in range(1, 21)])
    assert p is not None
    assert p.p99 == pytest.approx(1.981)
    assert p.at(99) == p.p99


def test_upper_limits_on_wer_and_reply_latency() -> None:
    heard = turn(1, words=WordErrors(3, 0, 0, 10), final=0.2)
    figures = summarise([CaseResult("a", {}, (heard,), planned_turns=1)])
    assert Threshold("wer", 0.3, upper=True).check(figures) is None
    assert Threshold("wer", 0.25, upper=True).check(figures) == "wer 30.0% is over 25.0%"
    # Without synthesised audio the reply latency is the reply text's (10 ms here).
    assert Threshold("latency_p95_ms", 10.0, upper=True).check(figures) is None
    assert Threshold("latency_p95_ms", 5.0, upper=True).check(figures) == (
        "latency_p95_ms (end of speech -> reply text) 10 ms is over 5 ms"
    )
    assert Threshold("latency_p95_ms", 5.0, upper=True).label == "latency_p95_ms<=5"


def test_a_gate_takes_each_limit_from_the_first_place_that_sets_it() -> None:
    options = from_options({"max_wer": 0.2, "min_accuracy": None})
    manifest = gate_thresholds(GateSettings(max_wer=0.3, min_accuracy=0.9))
    config = gate_thresholds(GateSettings(max_latency_p95_ms=900, fail_under={"task_success": 0.8}))
    assert [t.label for t in combine(options, manifest, config)] == [
        "wer<=0.2",
        "intent_accuracy>=0.9",
        "latency_p95_ms<=900",
        "task_success>=0.8",
    ]
