"""The demo organisation in Chinese: each colleague's name in characters, as an alias."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.models import Contact
from connectors.local import LocalStore
from intents.phonetics import is_han_name

TABLE = yaml.safe_load((Path(__file__).parent / "data" / "demo_names_zh.yaml").read_text("utf-8"))
ROWS = TABLE["people"] + TABLE["groups"]


def chinese_name(contact: Contact) -> str | None:
    """The display name a Chinese dialog says (ZH_SHARED.md's rule)."""
    if is_han_name(contact.name):
        return contact.name
    return next((a for a in contact.aliases if is_han_name(a)), None)


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_each_demo_contact_has_its_chinese_name_and_keeps_its_english_one(
    demo_store: LocalStore, row: dict[str, Any]
) -> None:
    everyone = {c.id: c for c in [*demo_store.contacts(), demo_store.me]}
    contact = everyone[row["id"]]
    assert contact.name == row["name"]
    assert chinese_name(contact) == row["chars"]


def test_every_demo_contact_is_in_the_table(demo_store: LocalStore) -> None:
    ids = {c.id for c in [*demo_store.contacts(), demo_store.me]}
    assert ids == {r["id"] for r in ROWS}


def test_a_name_in_characters_is_found_by_the_store_search(demo_store: LocalStore) -> None:
    assert [c.id for c in demo_store.search_contacts("李娜")] == ["u-li-na"]
    assert [c.id for c in demo_store.search_contacts("li na")] == ["u-li-na"]
