"""Ways of speaking learned from text written blind, per locale (data/ways.yaml).

Each way has sentences that must now parse to their intent, out-of-domain
sentences that must never become an action, and near misses that keep the
reading they had before the way was added.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from assistant.models import ACTION_INTENTS, Contact, Intent
from intents.parser import Parser

from .conftest import check_slots, directory, load

DATA = load("ways.yaml")
NOW = DATA["now"]


def _rows(key: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (locale, way["way"], case)
        for locale, ways in DATA["ways"].items()
        for way in ways
        for case in way.get(key, [])
    ]


CASES = _rows("cases") + _rows("near_misses")
CASE_IDS = [f"{locale}:{case['text']}" for locale, _, case in CASES]
OUT_OF_DOMAIN = _rows("out_of_domain")
OOD_IDS = [f"{locale}:{text}" for locale, _, text in OUT_OF_DOMAIN]


@pytest.fixture(scope="module")
def parsers() -> dict[str, Parser]:
    """The English parser over data/directory.yaml, the Chinese one over data/zh/directory.yaml."""
    zh = [
        Contact(**{**row, "aliases": tuple(row.get("aliases", ()))})
        for row in load("zh/directory.yaml")["contacts"]
    ]
    return {"en": Parser.from_contacts(directory()), "zh": Parser.from_contacts(zh, "zh")}


def _now() -> datetime:
    return datetime.fromisoformat(NOW)


@pytest.mark.parametrize(("locale", "way", "case"), CASES, ids=CASE_IDS)
def test_way_of_speaking_is_understood(
    parsers: dict[str, Parser], locale: str, way: str, case: dict[str, Any]
) -> None:
    result = parsers[locale].parse(case["text"], now=_now())
    assert result.intent == Intent(case["intent"]), (way, result.to_json())
    check_slots(result.slots, case.get("slots", {}))


@pytest.mark.parametrize(("locale", "way", "text"), OUT_OF_DOMAIN, ids=OOD_IDS)
def test_near_miss_of_an_action_is_no_action(
    parsers: dict[str, Parser], locale: str, way: str, text: str
) -> None:
    result = parsers[locale].parse(text, now=_now())
    assert result.intent not in ACTION_INTENTS, (way, result.to_json())
