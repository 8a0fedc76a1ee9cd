"""The embedded engine: one SQLite file, one connection shared under a lock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from assistant.errors import StorageError
from assistant.storage.database import Params, Row


class _SqliteTransaction:
    dialect: Literal["sqlite"] = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(sql, tuple(params)).rowcount

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        return [tuple(row) for row in self._conn.execute(sql, tuple(params)).fetchall()]


class SqliteDatabase:
    """A SQLite file in WAL mode; ``BEGIN IMMEDIATE`` so writers queue instead of failing."""

    dialect: Literal["sqlite"] = "sqlite"

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self.path = path
        self.location = str(path)
        #: The connection's usual ``PRAGMA synchronous`` (restored after a non-durable commit).
        self.synchronous = int(conn.execute("PRAGMA synchronous").fetchone()[0])

    @classmethod
    def open(
        cls, path: Path, *, what: str = "database", fsync_commits: bool = False
    ) -> SqliteDatabase:
        """Open (creating if needed) the SQLite file at ``path``.

        ``fsync_commits``: every commit is fsync'd (``synchronous=FULL``), so
        a committed write survives a power cut, not only a crash.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA journal_mode = WAL")
            if fsync_commits:
                conn.execute("PRAGMA synchronous = FULL")
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the {what} {path}: {exc}") from exc
        return cls(conn, path)

    def __repr__(self) -> str:
        return f"SqliteDatabase({self.location!r})"

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[_SqliteTransaction]:
        """One ``BEGIN IMMEDIATE`` transaction under this process's lock."""
        with self._lock:
            try:
                if not durable:
                    self._conn.execute("PRAGMA synchronous = NORMAL")
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield _SqliteTransaction(self._conn)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StorageError(f"database {self.location} failed: {exc}") from exc
            finally:
                if not durable:
                    self._conn.execute(f"PRAGMA synchronous = {self.synchronous}")

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """A read (autocommit)."""
        with self._lock:
            try:
                return [tuple(r) for r in self._conn.execute(sql, tuple(params)).fetchall()]
            except sqlite3.Error as exc:
                raise StorageError(f"database {self.location} failed: {exc}") from exc

    def execute(self, sql: str, params: Params = ()) -> int:
        """A write in its own transaction."""
        with self.transaction() as tx:
            return tx.execute(sql, params)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._conn.close()
