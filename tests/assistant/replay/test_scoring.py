"""Scoring a turn: word errors, and expected slots against the parser's JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.replay.scoring import normalise, outcome_errors, slot_errors, word_errors

DATA = Path(__file__).parent / "data"
TABLE = yaml.safe_load((DATA / "slot_matching.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("row", TABLE, ids=[r["name"] for r in TABLE])
def test_slot_matching(row: dict[str, Any]) -> None:
    wrong = slot_errors(row["expected"], row["actual"])
    assert (not wrong) is row["match"], wrong


def test_only_the_wrong_slots_are_named_in_order() -> None:
    expected = {"recipient": "u-li-na", "body": "hello", "urgent": True}
    actual = {"recipient": {"id": "u-li-na", "name": "Li Na"}, "body": "goodbye"}
    assert slot_errors(expected, actual) == ["body", "urgent"]


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("Send it, PLEASE!", "send it please"),
        ("I\u2019ll be late", "i'll be late"),
        ("check-in at 10:30", "check in at 10 30"),
        ("'quoted'", "quoted"),
        ("", ""),
        ("好的，发吧。", "好 的 发 吧"),
        ("给David发个消息说meeting改到三点", "给 david 发 个 消 息 说 meeting 改 到 三 点"),
    ],
)
def test_normalise(text: str, normal: str) -> None:
    assert normalise(text) == normal


def test_chinese_is_scored_by_characters() -> None:
    # A Chinese recogniser's words (给 张三 发) and the reference's unspaced
    # characters are compared character by character: the usual CER.
    errors = word_errors("给张三发消息说我十分钟后到", "给 张三 发消息 说 我 十分钟 到")
    assert (errors.substitutions, errors.deletions, errors.insertions) == (0, 1, 0)
    assert errors.reference_words == 13


def test_word_errors_count_each_kind_of_edit() -> None:
    errors = word_errors("send a message to Li Na", "send the message to Li Na now")
    assert (errors.substitutions, errors.deletions, errors.insertions) == (1, 0, 1)
    assert errors.reference_words == 6
    assert errors.rate == pytest.approx(2 / 6)


def test_word_errors_of_silence_and_of_a_perfect_hearing() -> None:
    assert word_errors("yes please", "").deletions == 2
    assert word_errors("Yes, please.", "yes please").errors == 0


def test_outcome_needs_the_same_number_of_effects_in_order() -> None:
    actual = {
        "sent": [{"to": {"id": "u-li-na", "name": "Li Na"}, "body": "hi", "urgent": False}],
        "created": [],
    }
    assert outcome_errors({"sent": [{"to": "Li Na", "body": "Hi!"}]}, actual) == []
    assert outcome_errors({"sent": []}, actual) == ["sent: 1 (expected 0)"]
    assert outcome_errors({"sent": [{"to": "u-zhang-san"}]}, actual) == [
        "sent #1: to={'id': 'u-li-na', 'name': 'Li Na'}"
    ]
    assert outcome_errors({"cancelled": []}, actual) == []
