"""The narrow database interface every store uses, whatever the engine behind it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Literal, Protocol

Dialect = Literal["sqlite", "postgres"]
Row = tuple[object, ...]
Params = Sequence[object]


class Transaction(Protocol):
    """Statements run inside one transaction (committed on success, rolled back on error)."""

    @property
    def dialect(self) -> Dialect:
        """Which engine runs the statements (for the few that differ)."""
        ...

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement written with ``?`` placeholders; return the affected row count."""
        ...

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query written with ``?`` placeholders; return all rows."""
        ...


class Database(Protocol):
    """A SQLite file or a PostgreSQL pool; thread safe; errors are ``StorageError``."""

    @property
    def dialect(self) -> Dialect:
        """Which engine this is."""
        ...

    @property
    def location(self) -> str:
        """Where the data lives, safe to print (a path or ``host:port/dbname``, no password)."""
        ...

    def transaction(self, *, durable: bool = True) -> AbstractContextManager[Transaction]:
        """One transaction; commits when the block ends without an exception.

        ``durable=False``: the commit may be lost on a power cut (not on a
        crash), for writes that are safe to redo; it saves an fsync.
        """
        ...

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """A read in its own short transaction."""
        ...

    def execute(self, sql: str, params: Params = ()) -> int:
        """A write in its own transaction; returns the affected row count."""
        ...

    def close(self) -> None:
        """Release connections; the database cannot be used afterwards."""
        ...


def float_column(tx: Transaction) -> str:
    """The column type of a double-precision number in this transaction's dialect."""
    return "DOUBLE PRECISION" if tx.dialect == "postgres" else "REAL"


def chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    """``items`` in slices of at most ``size`` (bounded ``IN (...)`` lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
