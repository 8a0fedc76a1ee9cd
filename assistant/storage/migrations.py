"""Versioned schemas: each store lists its migrations; they are applied when it opens.

A ``schema_version`` table holds one row per component (``keys``,
``outbox``, ...). Opening a store applies the migrations it has not seen yet,
in order, each in the transaction that also records its number; a store
written by a newer DriveTalk (a higher number than this version knows) is
refused rather than written to. On PostgreSQL an advisory lock makes replicas
starting together migrate one after the other.

A file from before versioning has its tables but no ``schema_version``:
it counts as version 0, and migration 1 of every store is written to accept
the tables that already exist (``IF NOT EXISTS``, columns added if missing).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.errors import StorageError
from assistant.storage.database import Database, Transaction

_VERSIONS = """
CREATE TABLE IF NOT EXISTS schema_version (
    component TEXT PRIMARY KEY,
    version   INTEGER NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class Migration:
    """Step ``version``: a function of the open transaction (it may look at ``tx.dialect``)."""

    version: int
    apply: Callable[[Transaction], None]


def sql(*statements: str) -> Callable[[Transaction], None]:
    """A migration that runs ``statements`` (the same on both engines)."""

    def run(tx: Transaction) -> None:
        for statement in statements:
            tx.execute(statement)

    return run


def current_version(db: Database, component: str) -> int:
    """The schema version ``component`` has in ``db`` (0 = never versioned)."""
    with db.transaction() as tx:
        tx.execute(_VERSIONS)
        rows = tx.query("SELECT version FROM schema_version WHERE component = ?", (component,))
    return int(str(rows[0][0])) if rows else 0


def migrate(db: Database, component: str, migrations: Sequence[Migration]) -> int:
    """Bring ``component`` up to the last of ``migrations``; return that version."""
    latest = migrations[-1].version if migrations else 0
    if [m.version for m in migrations] != list(range(1, latest + 1)):
        raise ValueError(f"{component} migrations must be numbered 1..n in order")
    with db.transaction() as tx:
        if tx.dialect == "postgres":
            # One replica at a time; the lock ends with the transaction.
            tx.query("SELECT pg_advisory_xact_lock(?)", (zlib.crc32(component.encode()),))
        tx.execute(_VERSIONS)
        rows = tx.query("SELECT version FROM schema_version WHERE component = ?", (component,))
        found = int(str(rows[0][0])) if rows else 0
        if found > latest:
            raise StorageError(
                f"the {component} schema in {db.location} is version {found}, written by a "
                f"newer DriveTalk (this one knows up to {latest}); refusing to use it: "
                "upgrade DriveTalk"
            )
        for step in migrations[found:]:
            step.apply(tx)
        if found < latest:
            if rows:
                tx.execute(
                    "UPDATE schema_version SET version = ? WHERE component = ?",
                    (latest, component),
                )
            else:
                tx.execute(
                    "INSERT INTO schema_version (component, version) VALUES (?, ?)",
                    (component, latest),
                )
    return latest
