"""Compact storage for the directory index, quick to persist and to load.

A 100,000-person index pickled as objects (a Contact per person, a list of
(contact, weight) pairs per name variant) takes over a second to unpickle:
Python builds 350,000 small objects one by one. Kept as columns instead --
one list per Contact field, and the owners of every variant as three numpy
arrays (offsets, contact indices, weights) -- the same data loads in a few
tens of milliseconds, and a :class:`~assistant.models.Contact` is only made
when a lookup returns it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from operator import attrgetter
from typing import Any, overload

import numpy as np

from assistant.models import Contact

#: Contact's fields in order: one column each.
FIELDS = tuple(f.name for f in fields(Contact))


class ContactColumns(Sequence[Contact]):
    """The directory's contacts as one column per field; each Contact made on first use.

    Built from Contacts (a fresh index), the columns are only written out
    when the index is pickled; loaded from a pickle, only the columns exist
    and a Contact is made the first time it is asked for, then kept.
    """

    __slots__ = ("_columns", "_made")

    def __init__(self, columns: Sequence[Sequence[Any]]) -> None:
        if len(columns) != len(FIELDS):
            raise ValueError(f"expected {len(FIELDS)} columns, got {len(columns)}")
        self._columns: tuple[list[Any], ...] | None = tuple(list(c) for c in columns)
        self._made: list[Contact | None] = [None] * len(self._columns[0])

    @classmethod
    def of(cls, contacts: Iterable[Contact]) -> ContactColumns:
        """The columns of ``contacts`` (kept as they are until pickled)."""
        columns = cls.__new__(cls)
        columns._columns = None
        columns._made = list(contacts)
        return columns

    def __len__(self) -> int:
        return len(self._made)

    @overload
    def __getitem__(self, index: int) -> Contact: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Contact]: ...

    def __getitem__(self, index: int | slice) -> Contact | Sequence[Contact]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        made = self._made[index]
        if made is None:
            made = Contact(*(column[index] for column in self._all_columns()))
            self._made[index] = made
        return made

    def __iter__(self) -> Iterator[Contact]:
        return (self[i] for i in range(len(self)))

    def column(self, name: str) -> Sequence[Any]:
        """One field's values for every contact, without making Contacts."""
        return self._all_columns()[FIELDS.index(name)]

    def _all_columns(self) -> tuple[list[Any], ...]:
        if self._columns is None:
            made = self._made  # every one made: this index was built from Contacts
            self._columns = tuple(list(map(attrgetter(f), made)) for f in FIELDS)
        return self._columns

    def __getstate__(self) -> tuple[tuple[list[Any], ...]]:
        return (self._all_columns(),)

    def __setstate__(self, state: tuple[tuple[list[Any], ...]]) -> None:
        (self._columns,) = state
        self._made = [None] * len(self._columns[0])


class Owners:
    """Who owns each name variant, and how strongly: CSR arrays, built from appends.

    While the index is built, each ownership is appended to three flat lists
    (variant, contact, weight: no tuple or list per variant); :meth:`freeze`
    sorts them by variant, stably, so each variant keeps its owners in the
    order they were added.
    """

    __slots__ = ("_added", "_index", "_start", "_weight")

    def __init__(self) -> None:
        self._added: tuple[list[int], list[int], list[float]] | None = ([], [], [])
        self._start = np.zeros(1, dtype=np.int64)
        self._index = np.zeros(0, dtype=np.int32)
        self._weight = np.zeros(0, dtype=np.float64)

    def building(self) -> tuple[list[int], list[int], list[float]]:
        """The variant, contact and weight lists while the index is built,
        appended to directly (100,000s of times: no call each)."""
        if self._added is None:
            raise RuntimeError("the index is built: its owners no longer change")
        return self._added

    def freeze(self, variants: int) -> None:
        """Pack the owners of ``variants`` variants into arrays (once, when built)."""
        variant, contact, weight = self.building()
        by_variant = np.asarray(variant, dtype=np.int64)
        order = np.argsort(by_variant, kind="stable")
        counts = np.bincount(by_variant, minlength=variants)
        self._start = np.zeros(variants + 1, dtype=np.int64)
        np.cumsum(counts, out=self._start[1:])
        self._index = np.asarray(contact, dtype=np.int32)[order]
        self._weight = np.asarray(weight, dtype=np.float64)[order]
        self._added = None

    def of(self, variant: int, limit: int) -> list[tuple[int, float]]:
        """The first ``limit`` (contact, weight) owners of ``variant`` (once frozen)."""
        if self._added is not None:
            raise RuntimeError("the index is being built: its owners are not packed yet")
        start = int(self._start[variant])
        end = min(int(self._start[variant + 1]), start + limit)
        return list(
            zip(self._index[start:end].tolist(), self._weight[start:end].tolist(), strict=True)
        )

    def __getstate__(self) -> tuple[Any, ...]:
        if self._added is not None:
            raise RuntimeError("the index is being built: its owners are not packed yet")
        return (self._start, self._index, self._weight)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self._added = None
        self._start, self._index, self._weight = state


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while hundreds of thousands of objects are made.

    Building or unpickling an index allocates containers by the hundred
    thousand, none of them garbage; each collection would walk them all
    again (unpickling a 100,000-person index took 4x longer with it on).
    Reference counting still frees what is dropped.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
