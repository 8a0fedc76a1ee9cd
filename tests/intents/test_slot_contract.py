"""The slot contract (intents/slot_contract.yaml): every slot the parser fills is declared.

Replay manifests are checked against this contract, so a slot the parser
fills but the file does not declare would be refused in a manifest; these
tests hold the grammar and the parser's output on the parser test tables
to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from assistant.models import Intent
from intents.parser import Parser
from intents.result import Expect, ParseContext
from intents.slot_contract import declared_slots, grammar_slots, slot_names
from tests.intents.conftest import DATA, directory, load

NOW = datetime.fromisoformat("2026-11-23T08:00:00+08:00")


def test_the_file_names_every_intent_and_nothing_else() -> None:
    assert set(declared_slots()) == set(Intent)


def test_every_slot_a_grammar_fills_is_declared() -> None:
    for intent, names in grammar_slots().items():
        assert names <= declared_slots()[intent], (intent, names - declared_slots()[intent])


def test_slot_names_are_the_declared_ones_and_the_grammars() -> None:
    assert {"recipient", "recipients", "body", "urgent"} <= slot_names(Intent.SEND_MESSAGE)
    assert slot_names(Intent.CONFIRM) == {"choice"}
    assert slot_names(Intent.HELP) == frozenset()


def _texts(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        for key in ("text", "transcript"):
            if isinstance(data.get(key), str):
                yield data[key]
        for value in data.values():
            yield from _texts(value)
    elif isinstance(data, list):
        for value in data:
            yield from _texts(value)


@pytest.mark.parametrize(
    ("locale", "files"),
    [("en", ["intents.yaml", "context.yaml", "times.yaml"]), ("zh", ["zh/intents.yaml"])],
)
def test_the_parser_fills_only_declared_slots(locale: str, files: list[str]) -> None:
    parser = Parser.from_contacts(directory(), locale)
    contexts = [ParseContext(expect=e, choices=("li wei", "li na")) for e in Expect]
    texts = {text for name in files if (DATA / name).exists() for text in _texts(load(name))}
    assert len(texts) > 50
    for text in sorted(texts):
        for context in contexts:
            result = parser.parse(text, now=NOW, context=context)
            extra = set(result.slots) - declared_slots()[result.intent]
            assert not extra, (text, context.expect, result.intent, extra)
