"""API keys per tenant and vehicle, stored hashed in SQLite.

A key looks like ``dtk_<key id>_<secret>``. The key id (public, 12 hex
digits) finds the row; the secret is stored only as a salted scrypt hash and
compared with :func:`hmac.compare_digest`. The whole key is shown once, when
it is created, and never again. Revoking a key keeps its row (for audit) and
makes it fail verification from then on.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import StorageError, UserInputError

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_KEY = re.compile(r"^dtk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")

#: scrypt cost: ~16 MiB and a few tens of ms, paid once per key per cache period.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id     TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    vehicle    TEXT NOT NULL,
    salt       BLOB NOT NULL,
    digest     BLOB NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS api_keys_tenant ON api_keys (tenant, vehicle);
"""


def check_name(value: str, what: str) -> str:
    """A tenant or vehicle name: lowercase letters, digits, ``-`` and ``_`` (path safe)."""
    if not _NAME.match(value):
        raise UserInputError(
            f"bad {what} name {value!r}: use 1-63 lowercase letters, digits, '-' or '_'"
        )
    return value


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a verified key belongs to."""

    key_id: str
    tenant: str
    vehicle: str


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A stored key as listed (never with its secret)."""

    key_id: str
    tenant: str
    vehicle: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just created: ``secret`` is the full key, shown to the user once."""

    info: KeyInfo
    secret: str = field(repr=False)


def _digest(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)


#: Unknown and revoked key ids are checked against this, so they cost one
#: scrypt like a real id and response time does not tell which ids exist.
_DUMMY_SALT = secrets.token_bytes(16)
_DUMMY_DIGEST = secrets.token_bytes(32)


def key_id_of(presented: str) -> str | None:
    """The key id of a well-formed key (``dtk_<id>_<secret>``), else None."""
    match = _KEY.match(presented)
    return match.group(1) if match else None


class KeyStore:
    """The SQLite table of API keys; safe to share between threads."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self.path = path

    @classmethod
    def open(cls, path: Path) -> KeyStore:
        """Open (creating if needed) the key store at ``path``."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the API key store {path}: {exc}") from exc
        return cls(conn, path)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()

    def __repr__(self) -> str:
        return f"KeyStore({str(self.path)!r})"

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise StorageError(f"API key store {self.path} failed: {exc}") from exc

    def create(self, tenant: str, vehicle: str, *, now: datetime | None = None) -> NewKey:
        """Create a key for ``vehicle`` of ``tenant``; the returned secret is not stored."""
        check_name(tenant, "tenant")
        check_name(vehicle, "vehicle")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        created = now or datetime.now(UTC)
        with self._db() as db:
            db.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (key_id, tenant, vehicle, salt, _digest(secret, salt), created.isoformat()),
            )
        info = KeyInfo(key_id, tenant, vehicle, created, None)
        return NewKey(info=info, secret=f"dtk_{key_id}_{secret}")

    def list(self, tenant: str | None = None) -> list[KeyInfo]:
        """Keys (of one tenant, or all), oldest first."""
        sql = "SELECT key_id, tenant, vehicle, created_at, revoked_at FROM api_keys"
        params: tuple[str, ...] = ()
        if tenant is not None:
            sql, params = sql + " WHERE tenant = ?", (tenant,)
        with self._db() as db:
            rows = db.execute(sql + " ORDER BY created_at, key_id", params).fetchall()
        return [_info(row) for row in rows]

    def revoke(self, key_id: str, *, now: datetime | None = None) -> KeyInfo:
        """Revoke a key by id (idempotent); UserInputError if there is no such key."""
        when = (now or datetime.now(UTC)).isoformat()
        with self._db() as db:
            db.execute(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE key_id = ?",
                (when, key_id),
            )
            row = db.execute(
                "SELECT key_id, tenant, vehicle, created_at, revoked_at FROM api_keys"
                " WHERE key_id = ?",
                (key_id,),
            ).fetchone()
        if row is None:
            raise UserInputError(f"no API key with id {key_id!r}")
        return _info(row)

    def is_active(self, key_id: str) -> bool:
        """Whether ``key_id`` exists and is not revoked."""
        with self._db() as db:
            row = db.execute(
                "SELECT revoked_at FROM api_keys WHERE key_id = ?", (key_id,)
            ).fetchone()
        return row is not None and row[0] is None

    def verify(self, presented: str) -> Principal | None:
        """The principal of a valid, unrevoked key; None for anything else."""
        match = _KEY.match(presented)
        if match is None:
            return None
        key_id, secret = match.groups()
        with self._db() as db:
            row = db.execute(
                "SELECT tenant, vehicle, salt, digest, revoked_at FROM api_keys WHERE key_id = ?",
                (key_id,),
            ).fetchone()
        if row is None or row[4] is not None:
            hmac.compare_digest(_digest(secret, _DUMMY_SALT), _DUMMY_DIGEST)
            return None
        tenant, vehicle, salt, digest, _ = row
        if not hmac.compare_digest(_digest(secret, salt), digest):
            return None
        return Principal(key_id=key_id, tenant=tenant, vehicle=vehicle)

    def revoked_among(self, key_ids: Iterable[str]) -> set[str]:
        """Which of ``key_ids`` are revoked or gone (one query per 500 ids)."""
        wanted = sorted(set(key_ids))
        active: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            with self._db() as db:
                rows = db.execute(
                    f"SELECT key_id FROM api_keys WHERE revoked_at IS NULL AND key_id IN ({marks})",
                    chunk,
                ).fetchall()
            active.update(row[0] for row in rows)
        return set(wanted) - active


def _info(row: tuple[str, str, str, str, str | None]) -> KeyInfo:
    key_id, tenant, vehicle, created, revoked = row
    return KeyInfo(
        key_id=key_id,
        tenant=tenant,
        vehicle=vehicle,
        created_at=datetime.fromisoformat(created),
        revoked_at=datetime.fromisoformat(revoked) if revoked else None,
    )


def default_key_store_path(data_dir: Path, configured: Path | None) -> Path:
    """The configured key store, or ``<data_dir>/server/keys.sqlite3``."""
    return configured if configured is not None else data_dir / "server" / "keys.sqlite3"
