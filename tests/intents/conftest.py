"""Shared fixtures for the parser tests: the test directory and data loading."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.models import Contact
from intents.parser import Parser
from intents.result import ContactResolution, slot_to_json

DATA = Path(__file__).parent / "data"


def load(name: str) -> Any:
    """One YAML data file of this directory."""
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def directory() -> list[Contact]:
    """The contacts of data/directory.yaml."""
    contacts = []
    for row in load("directory.yaml")["contacts"]:
        fields = {**row, "aliases": tuple(row.get("aliases", ()))}
        contacts.append(Contact(**fields))
    return contacts


def now_of(name: str) -> datetime:
    """The fixed clock of a data file."""
    return datetime.fromisoformat(load(name)["now"])


@pytest.fixture(scope="session")
def parser() -> Parser:
    """One parser over the test directory (built once: it is immutable)."""
    return Parser.from_contacts(directory())


def check_resolution(value: Any, expected: dict[str, Any]) -> None:
    """Assert a resolved name matches {id}, {among: [...]} or {unknown: true}; {query}: heard."""
    assert isinstance(value, ContactResolution), f"not a contact resolution: {value!r}"
    ids = [c.contact.id for c in value.candidates]
    if "id" in expected:
        assert value.best is not None, f"{value.query!r} is unresolved or ambiguous: {ids}"
        assert value.best.id == expected["id"], f"{value.query!r} -> {ids}"
    if "among" in expected:
        assert value.ambiguous, f"{value.query!r} should be ambiguous: {ids}"
        assert set(expected["among"]) <= set(ids), f"{value.query!r} -> {ids}"
    if expected.get("unknown"):
        assert not value.candidates, f"{value.query!r} should be unknown: {ids}"
    if "query" in expected:
        assert value.query == expected["query"], f"heard name {value.query!r}"


def check_slots(slots: Any, expected: dict[str, Any], absent: list[str] | None = None) -> None:
    """Assert the slots named in ``expected`` (and that ``absent`` ones are missing)."""
    for name, want in expected.items():
        assert name in slots, f"slot {name!r} missing from {dict(slots)}"
        got = slots[name]
        if isinstance(want, dict):
            check_resolution(got, want)
        elif isinstance(want, list):
            assert isinstance(got, tuple), f"{name}: {got!r}"
            assert len(got) == len(want), f"{name}: {got!r}"
            for item, item_want in zip(got, want, strict=True):
                check_resolution(item, item_want)
        else:
            assert slot_to_json(got) == want, f"slot {name!r}: {slot_to_json(got)!r} != {want!r}"
    for name in absent or ():
        assert name not in slots, f"slot {name!r} should be absent: {slots[name]!r}"
