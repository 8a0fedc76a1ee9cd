"""The fleet engine: a PostgreSQL connection pool shared by every store of a replica.

The URL (``server.database_url``) may hold a password, so it is never
printed: errors and reprs name ``host:port/dbname`` only, and any text a
driver error might echo back is scrubbed of the password first.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import psycopg
from psycopg import conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from assistant.errors import StorageError
from assistant.storage.database import Params, Row

#: Seconds to wait for the server when a replica starts, and for a pooled connection.
CONNECT_TIMEOUT_S = 5
POOL_TIMEOUT_S = 30.0
_PLACEHOLDER = re.compile(r"\?")


def describe(url: str) -> str:
    """``host:port/dbname`` of a URL, for messages (never user or password)."""
    try:
        parts = conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "(unparsable URL)"
    host = str(parts.get("host") or parts.get("hostaddr") or "localhost")
    return f"{host}:{parts.get('port') or 5432}/{parts.get('dbname') or '(default)'}"


def secrets_of(url: str) -> list[str]:
    """The URL and its password: what logs must never show."""
    try:
        password = conninfo.conninfo_to_dict(url).get("password")
    except psycopg.Error:
        return [url]
    return [url, str(password)] if password else [url]


def _scrub(text: str, url: str) -> str:
    try:
        password = conninfo.conninfo_to_dict(url).get("password")
    except psycopg.Error:
        return "(details withheld)"
    return text.replace(str(password), "***") if password else text


def translate(sql: str) -> str:
    """The stores' ``?`` placeholders as psycopg's ``%s``."""
    return _PLACEHOLDER.sub("%s", sql)


@dataclass(frozen=True, slots=True)
class PoolUsage:
    """The connection pool now: its bound, connections open, lent out, callers waiting."""

    size: int
    open: int
    in_use: int
    waiting: int


class _PgTransaction:
    dialect: Literal["postgres"] = "postgres"

    def __init__(self, conn: psycopg.Connection[tuple[object, ...]], owner: PostgresDatabase):
        self._conn = conn
        self._owner = owner

    def execute(self, sql: str, params: Params = ()) -> int:
        self._owner.count_round_trip()
        return self._conn.execute(translate(sql), tuple(params)).rowcount

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        self._owner.count_round_trip()
        return list(self._conn.execute(translate(sql), tuple(params)).fetchall())


class PostgresDatabase:
    """A pool of connections to one PostgreSQL database."""

    dialect: Literal["postgres"] = "postgres"

    def __init__(self, pool: ConnectionPool, url: str) -> None:
        self._pool = pool
        self._url = url
        self.location = describe(url)
        self._trips = itertools.count()
        #: Statements sent so far (read by the benchmark: round trips per turn).
        self.round_trips = 0

    @classmethod
    def connect(cls, url: str, *, max_size: int = 10) -> PostgresDatabase:
        """Connect (one clear ``StorageError`` naming the host if the server cannot be used)."""
        where = describe(url)
        try:
            with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S) as probe:
                probe.execute("SELECT 1")
        except psycopg.Error as exc:
            detail = _scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else "", url)
            raise StorageError(
                f"cannot use the PostgreSQL database at {where} (server.database_url): {detail}"
            ) from None
        pool: ConnectionPool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            # Autocommit: a lone statement is one round trip; transaction()
            # adds BEGIN and COMMIT only where several statements must agree.
            kwargs={"connect_timeout": CONNECT_TIMEOUT_S, "autocommit": True},
            timeout=POOL_TIMEOUT_S,
            open=False,
            name="drivetalk",
        )
        try:
            pool.open(wait=True, timeout=POOL_TIMEOUT_S)
        except PoolTimeout:
            pool.close()
            raise StorageError(f"cannot open a connection pool to {where}") from None
        return cls(pool, url)

    def __repr__(self) -> str:
        return f"PostgresDatabase({self.location!r})"

    def usage(self) -> PoolUsage:
        """How the pool is used right now (for the ``drivetalk_db_pool_*`` gauges)."""
        stats = self._pool.get_stats()
        opened = stats.get("pool_size", 0)
        return PoolUsage(
            size=stats.get("pool_max", self._pool.max_size),
            open=opened,
            in_use=max(0, opened - stats.get("pool_available", 0)),
            waiting=stats.get("requests_waiting", 0),
        )

    def count_round_trip(self) -> None:
        """Count one statement sent to the server."""
        self.round_trips = next(self._trips) + 1

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[_PgTransaction]:
        """One transaction on a pooled connection (``durable=False``: asynchronous commit)."""
        try:
            with self._pool.connection() as conn, conn.transaction():
                tx = _PgTransaction(conn, self)
                if not durable:
                    tx.execute("SET LOCAL synchronous_commit = off")
                yield tx
        except psycopg.Error as exc:
            raise StorageError(
                f"database {self.location} failed: {_scrub(str(exc).strip(), self._url)}"
            ) from exc
        except PoolTimeout as exc:
            raise StorageError(f"no free connection to {self.location}: {exc}") from exc

    @contextmanager
    def _single(self) -> Iterator[_PgTransaction]:
        """One statement on a pooled autocommit connection (atomic on its own)."""
        try:
            with self._pool.connection() as conn:
                yield _PgTransaction(conn, self)
        except psycopg.Error as exc:
            raise StorageError(
                f"database {self.location} failed: {_scrub(str(exc).strip(), self._url)}"
            ) from exc
        except PoolTimeout as exc:
            raise StorageError(f"no free connection to {self.location}: {exc}") from exc

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        """One statement, one round trip (autocommit)."""
        with self._single() as one:
            return one.query(sql, params)

    def execute(self, sql: str, params: Params = ()) -> int:
        """One statement, one round trip (autocommit)."""
        with self._single() as one:
            return one.execute(sql, params)

    def listen_connection(self) -> psycopg.Connection[tuple[object, ...]]:
        """A dedicated autocommit connection (for LISTEN), outside the pool."""
        try:
            return psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as exc:
            raise StorageError(f"cannot connect to {self.location}: {exc}") from None

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.close()
