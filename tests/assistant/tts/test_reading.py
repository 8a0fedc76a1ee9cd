"""How replies are read aloud: script runs, pinyin, Chinese numbers (table in data/reading.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.tts.reading import Run, reading, split_runs

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "reading.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_reading(case: dict[str, Any]) -> None:
    expected = tuple(Run(text, script) for script, text in case["runs"])
    assert reading(case["text"], case["locale"]) == expected


def test_a_voice_that_reads_characters_is_given_characters() -> None:
    assert reading("给David发3条", "zh", pinyin=False) == (
        Run("给", "han"),
        Run("David", "latin"),
        Run("发三条", "han"),
    )


def test_runs_cover_every_word_of_the_text() -> None:
    text = "明天上午十点和Kevin Wang、Tom Becker开会，好吗？"
    runs = split_runs(text)
    assert [r.text for r in runs] == ["明天上午十点和", "Kevin Wang, Tom Becker", "开会, 好吗?"]
    assert [r.script for r in runs] == ["han", "latin", "han"]
