"""The slot names each intent may carry (``slot_contract.yaml``), for checking callers' data.

The file is the contract; the grammar's captures and fixed slots of every
locale are added to it, so a slot a grammar starts filling is never refused
before the file catches up (tests/intents/test_slot_contract.py flags the gap).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources

import yaml

from assistant.locales import LOCALES
from assistant.models import Intent
from intents.grammar import load_grammar

CONTRACT = resources.files("intents") / "slot_contract.yaml"


@cache
def declared_slots() -> Mapping[Intent, frozenset[str]]:
    """The slots ``slot_contract.yaml`` declares per intent."""
    data = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    return {intent: frozenset(data.get(intent.value) or ()) for intent in Intent}


@cache
def grammar_slots(locale: str | None = None) -> Mapping[Intent, frozenset[str]]:
    """The slots the grammar of ``locale`` (default: every locale) captures or fixes."""
    found: dict[Intent, set[str]] = {intent: set() for intent in Intent}
    for name in LOCALES if locale is None else (locale,):
        for template in load_grammar(name).templates:
            found[template.intent] |= set(template.slot_lists) | set(template.fixed_slots)
    return {intent: frozenset(names) for intent, names in found.items()}


def slot_names(intent: Intent, locale: str | None = None) -> frozenset[str]:
    """Every slot name ``intent`` may carry (in ``locale``'s grammar; default: any locale's).

    Naming the locale compiles only that grammar (the parser of a replay
    compiles it anyway; a grammar takes a second or two).
    """
    return declared_slots()[intent] | grammar_slots(locale)[intent]
