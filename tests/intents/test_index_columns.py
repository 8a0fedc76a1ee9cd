"""The index's compact storage: contacts as columns, owners as arrays."""

from __future__ import annotations

import pickle

import pytest

from assistant.models import Contact
from intents.index_columns import FIELDS, ContactColumns, Owners

PEOPLE = [
    Contact(id="lw", name="Li Wei", department="Sales", aliases=("Wei",)),
    Contact(id="zs", name="Zhang San", kind="person", phone="+86 10 1234"),
    Contact(id="ops", name="Ops room", kind="group"),
]


def test_columns_give_back_the_contacts_they_were_made_of() -> None:
    columns = ContactColumns.of(PEOPLE)
    assert len(columns) == 3
    assert list(columns) == PEOPLE
    assert columns[1] == PEOPLE[1]
    assert columns[0:2] == (PEOPLE[0], PEOPLE[1])
    assert list(columns.column("department")) == ["Sales", "", ""]


def test_pickled_columns_make_each_contact_once_when_asked() -> None:
    loaded = pickle.loads(pickle.dumps(ContactColumns.of(PEOPLE)))
    assert loaded[2] == PEOPLE[2]
    assert loaded[2] is loaded[2]  # made once, then kept
    assert list(loaded) == PEOPLE


def test_columns_must_be_one_per_field() -> None:
    with pytest.raises(ValueError, match=f"expected {len(FIELDS)} columns"):
        ContactColumns([["lw"], ["Li Wei"]])


def _owners() -> Owners:
    """Variant 0 owned by contacts 0 and 4 (in that order), 1 by nobody, 2 by contact 2."""
    owners = Owners()
    variant, contact, weight = owners.building()
    for v, c, w in ((0, 0, 1.0), (2, 2, 0.9), (0, 4, 0.97)):
        variant.append(v)
        contact.append(c)
        weight.append(w)
    owners.freeze(3)
    return owners


def test_packed_owners_keep_their_order_per_variant() -> None:
    owners = _owners()
    assert owners.of(0, 50) == [(0, 1.0), (4, 0.97)]
    assert owners.of(0, 1) == [(0, 1.0)]
    assert owners.of(1, 50) == []
    assert owners.of(2, 50) == [(2, 0.9)]


def test_packed_owners_survive_pickling_and_no_longer_change() -> None:
    loaded = pickle.loads(pickle.dumps(_owners()))
    assert loaded.of(0, 50) == [(0, 1.0), (4, 0.97)]
    with pytest.raises(RuntimeError, match="no longer change"):
        loaded.building()


def test_owners_are_read_only_once_packed() -> None:
    building = Owners()
    with pytest.raises(RuntimeError, match="not packed yet"):
        building.of(0, 50)
    with pytest.raises(RuntimeError, match="not packed yet"):
        pickle.dumps(building)
