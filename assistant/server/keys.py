"""API keys per tenant and vehicle, stored hashed in SQLite or PostgreSQL.

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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from assistant.errors import UserInputError
from assistant.storage.database import Database, Transaction, chunks
from assistant.storage.migrations import Migration, migrate
from assistant.storage.sqlite import SqliteDatabase

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_KEY = re.compile(r"^dtk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")

#: scrypt cost: ~16 MiB and a few tens of ms, paid once per key per cache period.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def _create_table(tx: Transaction) -> None:
    blob = "BYTEA" if tx.dialect == "postgres" else "BLOB"
    tx.execute(
        "CREATE TABLE IF NOT EXISTS api_keys (key_id TEXT PRIMARY KEY, tenant TEXT NOT NULL,"
        f" vehicle TEXT NOT NULL, salt {blob} NOT NULL, digest {blob} NOT NULL,"
        " created_at TEXT NOT NULL, revoked_at TEXT)"
    )
    tx.execute("CREATE INDEX IF NOT EXISTS api_keys_tenant ON api_keys (tenant, vehicle)")


#: The key table's schema versions (1 = the table as it was before versioning).
MIGRATIONS = (Migration(1, _create_table),)


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
    """The table of API keys, in SQLite or PostgreSQL; safe to share between threads."""

    def __init__(self, db: Database) -> None:
        self._db = db
        migrate(db, "keys", MIGRATIONS)

    @classmethod
    def open(cls, path: Path) -> KeyStore:
        """Open (creating or upgrading if needed) the SQLite key store at ``path``."""
        return cls(SqliteDatabase.open(path, what="API key store"))

    @property
    def location(self) -> str:
        """Where the keys are (a path, or ``host:port/dbname``)."""
        return self._db.location

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __repr__(self) -> str:
        return f"KeyStore({self.location!r})"

    def create(self, tenant: str, vehicle: str, *, now: datetime | None = None) -> NewKey:
        """Create a key for ``vehicle`` of ``tenant``; the returned secret is not stored."""
        check_name(tenant, "tenant")
        check_name(vehicle, "vehicle")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        created = now or datetime.now(UTC)
        self._db.execute(
            "INSERT INTO api_keys (key_id, tenant, vehicle, salt, digest, created_at, revoked_at)"
            " VALUES (?, ?, ?, ?, ?, ?, NULL)",
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
        rows = self._db.query(sql + " ORDER BY created_at, key_id", params)
        return [_info(row) for row in rows]

    def revoke(self, key_id: str, *, now: datetime | None = None) -> KeyInfo:
        """Revoke a key by id (idempotent); UserInputError if there is no such key."""
        when = (now or datetime.now(UTC)).isoformat()
        with self._db.transaction() as tx:
            tx.execute(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE key_id = ?",
                (when, key_id),
            )
            rows = tx.query(
                "SELECT key_id, tenant, vehicle, created_at, revoked_at FROM api_keys"
                " WHERE key_id = ?",
                (key_id,),
            )
        if not rows:
            raise UserInputError(f"no API key with id {key_id!r}")
        return _info(rows[0])

    def is_active(self, key_id: str) -> bool:
        """Whether ``key_id`` exists and is not revoked."""
        rows = self._db.query("SELECT revoked_at FROM api_keys WHERE key_id = ?", (key_id,))
        return bool(rows) and rows[0][0] is None

    def verify(self, presented: str) -> Principal | None:
        """The principal of a valid, unrevoked key; None for anything else."""
        match = _KEY.match(presented)
        if match is None:
            return None
        key_id, secret = match.groups()
        rows = self._db.query(
            "SELECT tenant, vehicle, salt, digest, revoked_at FROM api_keys WHERE key_id = ?",
            (key_id,),
        )
        if not rows or rows[0][4] is not None:
            hmac.compare_digest(_digest(secret, _DUMMY_SALT), _DUMMY_DIGEST)
            return None
        tenant, vehicle, salt, digest, _ = rows[0]
        expected = bytes(cast(bytes, digest))
        if not hmac.compare_digest(_digest(secret, bytes(cast(bytes, salt))), expected):
            return None
        return Principal(key_id=key_id, tenant=str(tenant), vehicle=str(vehicle))

    def revoked_among(self, key_ids: Iterable[str]) -> set[str]:
        """Which of ``key_ids`` are revoked or gone (one query per 500 ids)."""
        wanted = sorted(set(key_ids))
        active: set[str] = set()
        for chunk in chunks(wanted):
            marks = ",".join("?" * len(chunk))
            rows = self._db.query(
                f"SELECT key_id FROM api_keys WHERE revoked_at IS NULL AND key_id IN ({marks})",
                chunk,
            )
            active.update(str(row[0]) for row in rows)
        return set(wanted) - active


def _info(row: tuple[object, ...]) -> KeyInfo:
    key_id, tenant, vehicle, created, revoked = row
    return KeyInfo(
        key_id=str(key_id),
        tenant=str(tenant),
        vehicle=str(vehicle),
        created_at=datetime.fromisoformat(str(created)),
        revoked_at=datetime.fromisoformat(str(revoked)) if revoked else None,
    )


def default_key_store_path(data_dir: Path, configured: Path | None) -> Path:
    """The configured key store, or ``<data_dir>/server/keys.sqlite3``."""
    return configured if configured is not None else data_dir / "server" / "keys.sqlite3"
