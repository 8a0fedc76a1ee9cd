"""The parser over the demo organisation: names that run into bodies and titles, short answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assistant.models import Intent
from connectors.local.demo import open_demo_store
from intents.parser import Parser
from intents.result import Expect, ParseContext
from tests.conftest import NOW, ZONE

from .conftest import check_slots, load

CASES = load("demo.yaml")["cases"]


@pytest.fixture(scope="module")
def demo_parser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Parser]:
    """One parser over a freshly seeded demo store (the directory never changes)."""
    store = open_demo_store(tmp_path_factory.mktemp("demo"), NOW, ZONE)
    try:
        yield Parser.from_contacts(store.contacts())
    finally:
        store.close()


@pytest.mark.parametrize("case", CASES, ids=[c["text"] for c in CASES])
def test_demo_directory(demo_parser: Parser, case: dict[str, Any]) -> None:
    context = ParseContext(Expect(case["context"])) if "context" in case else None
    result = demo_parser.parse(case["text"], now=NOW, context=context)
    assert result.intent == Intent(case["intent"]), result.to_json()
    check_slots(result.slots, case.get("slots", {}), case.get("absent"))
