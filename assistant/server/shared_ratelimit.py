"""Per-key rate limits shared by every replica: the token bucket is a database row.

One statement per request (an upsert that refills, spends and answers in a
single round trip, under the row's lock), so N replicas together allow a
key ``rate`` requests a second, not N times that. Time is the replicas'
wall clock (keep them on NTP; a skew of a few milliseconds only shifts a
refill). Measured cost: see BENCHMARKS.md (fleet load).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from assistant.errors import RequestRejectedError
from assistant.storage.database import Database, Transaction, float_column
from assistant.storage.migrations import Migration, migrate


def _create(tx: Transaction) -> None:
    real = float_column(tx)
    tx.execute(
        f"CREATE TABLE IF NOT EXISTS rate_buckets (key_id TEXT PRIMARY KEY, tokens {real} NOT NULL,"
        f" updated {real} NOT NULL, granted INTEGER NOT NULL)"
    )


MIGRATIONS = (Migration(1, _create),)


class SharedRateLimiter:
    """Token buckets in the fleet database: ``rate`` a second, ``burst`` saved up, per key."""

    def __init__(
        self, db: Database, rate: float, burst: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._db = db
        self._clock = clock
        least = "LEAST" if db.dialect == "postgres" else "MIN"
        refill = f"{least}(?, rate_buckets.tokens + (? - rate_buckets.updated) * ?)"
        self._sql = (
            "INSERT INTO rate_buckets (key_id, tokens, updated, granted) VALUES (?, ?, ?, 1)"
            " ON CONFLICT (key_id) DO UPDATE SET"
            f" tokens = CASE WHEN {refill} >= ? THEN {refill} - ? ELSE {refill} END,"
            f" granted = CASE WHEN {refill} >= ? THEN 1 ELSE 0 END,"
            " updated = ? RETURNING tokens, granted"
        )
        migrate(db, "rate_limits", MIGRATIONS)

    def take(self, key_id: str, cost: float = 1.0) -> None:
        """Spend ``cost`` tokens of ``key_id``; 429 with a retry hint if there are too few."""
        now = self._clock()
        fill = (self.burst, now, self.rate)
        params = (
            key_id, self.burst - cost, now,  # a new bucket: full, minus this request
            *fill, cost, *fill, cost, *fill,  # tokens = CASE ... END
            *fill, cost,  # granted = CASE ... END
            now,
        )  # fmt: skip
        rows = self._db.query(self._sql, params)
        tokens, granted = rows[0]
        if int(str(granted)):
            return
        wait = (cost - float(str(tokens))) / self.rate
        raise RequestRejectedError(
            429,
            "rate_limited",
            f"too many requests for this key; retry in {wait:.1f} s",
            retry_after=math.ceil(wait),
        )
