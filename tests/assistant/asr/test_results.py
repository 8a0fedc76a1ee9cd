"""vosk result JSON to hypotheses: single best, n-best posteriors, fillers, segments."""

from __future__ import annotations

import json

import pytest

from assistant.asr.results import merge_segments, parse_result
from assistant.errors import ASRError


def _w(word: str, start: float, end: float, conf: float | None = None) -> dict[str, object]:
    entry: dict[str, object] = {"word": word, "start": start, "end": end}
    if conf is not None:
        entry["conf"] = conf
    return entry


def test_single_best_keeps_word_confidences_and_averages_them_as_the_score() -> None:
    raw = {"result": [_w("call", 0.0, 0.3, 0.9), _w("mom", 0.3, 0.6, 0.5)], "text": "call mom"}
    (best,) = parse_result(json.dumps(raw))
    assert best.text == "call mom"
    assert best.score == pytest.approx(0.7)
    assert [w.confidence for w in best.words] == [0.9, 0.5]


def test_n_best_scores_become_posteriors_best_first() -> None:
    raw = {
        "alternatives": [
            {
                "confidence": 10.0,
                "result": [_w("call", 0, 0.3), _w("li", 0.3, 0.6)],
                "text": "call li",
            },
            {
                "confidence": 9.0,
                "result": [_w("call", 0, 0.3), _w("lee", 0.3, 0.6)],
                "text": "call lee",
            },
        ]
    }
    first, second = parse_result(json.dumps(raw))
    assert first.score + second.score == pytest.approx(1.0, abs=1e-3)
    assert first.score == pytest.approx(0.7311, abs=1e-3)
    # "call" is in both alternatives: certain; "li" only in the first.
    assert [w.confidence for w in first.words] == pytest.approx([1.0, 0.7311], abs=1e-3)


def test_fillers_are_dropped_and_duplicates_merged() -> None:
    raw = {
        "alternatives": [
            {
                "confidence": 5.0,
                "result": [_w("yes", 0, 0.3), _w("[unk]", 0.3, 0.5)],
                "text": "yes [unk]",
            },
            {"confidence": 4.0, "result": [_w("yes", 0, 0.3)], "text": "yes"},
            {"confidence": 3.0, "result": [_w("[1]", 0, 0.3)], "text": "[1]"},
        ]
    }
    (only,) = parse_result(json.dumps(raw))
    assert only.text == "yes"


def test_word_times_are_relative_to_the_utterance_start() -> None:
    raw = {"result": [_w("no", 10.5, 10.8, 1.0)], "text": "no"}
    (best,) = parse_result(json.dumps(raw), offset=10.0)
    assert (best.words[0].start, best.words[0].end) == (0.5, 0.8)


def test_empty_results_give_no_hypotheses_and_an_empty_final() -> None:
    assert parse_result('{"text": ""}') == ()
    assert parse_result('{"alternatives": [{"confidence": 1, "result": [], "text": ""}]}') == ()
    assert merge_segments([(), ()]).text == ""


def test_segments_split_by_the_engine_join_behind_the_best_prefix() -> None:
    first = parse_result(json.dumps({"result": [_w("send", 0, 0.3, 0.9)], "text": "send"}))
    last = parse_result(
        json.dumps(
            {
                "alternatives": [
                    {"confidence": 2.0, "result": [_w("hi", 1.0, 1.2)], "text": "hi"},
                    {"confidence": 1.0, "result": [_w("high", 1.0, 1.2)], "text": "high"},
                ]
            }
        )
    )
    final = merge_segments([first, (), last])
    assert final.text == "send hi"
    assert [h.text for h in final.alternatives] == ["send hi", "send high"]
    assert [w.word for w in final.words] == ["send", "hi"]


def test_a_malformed_engine_result_is_an_asr_error() -> None:
    with pytest.raises(ASRError):
        parse_result("{not json")
