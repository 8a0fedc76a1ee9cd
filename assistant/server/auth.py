"""Who is calling: bearer keys verified against the key store, with a small cache.

scrypt makes every verification cost tens of milliseconds on purpose; a
car sending a turn a second must not pay that each time, so a verified key
is remembered (by its SHA-256, never in clear) for ``ttl`` seconds. Revocation
is still checked on every request, so a revoked key stops working at once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from assistant.errors import RequestRejectedError
from assistant.server.keys import KeyStore, Principal


class Authenticator:
    """Turns an ``Authorization`` header (or a raw key) into a :class:`Principal`."""

    def __init__(
        self,
        store: KeyStore,
        *,
        ttl: float = 300.0,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._ttl = ttl
        self._capacity = capacity
        self._clock = clock
        self._cache: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def from_header(self, header: str | None) -> Principal:
        """Verify ``Authorization: Bearer <key>``; 401 for a missing or bad key."""
        if not header:
            raise RequestRejectedError(401, "unauthorized", "missing Authorization: Bearer key")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise RequestRejectedError(
                401, "unauthorized", "the Authorization header must be 'Bearer <key>'"
            )
        return self.verify(key.strip())

    def verify(self, key: str) -> Principal:
        """The principal of a valid key; 401 otherwise (the key is never echoed)."""
        fingerprint = hashlib.sha256(key.encode("utf-8", "replace")).digest()
        principal = self._cached(fingerprint)
        if principal is None:
            principal = self._store.verify(key)
            if principal is None:
                raise RequestRejectedError(401, "unauthorized", "invalid or revoked API key")
            self._remember(fingerprint, principal)
        elif not self._store.is_active(principal.key_id):
            self._forget(fingerprint)
            raise RequestRejectedError(401, "unauthorized", "invalid or revoked API key")
        return principal

    def _cached(self, fingerprint: bytes) -> Principal | None:
        with self._lock:
            hit = self._cache.get(fingerprint)
            if hit is None or hit[1] < self._clock():
                return None
            self._cache.move_to_end(fingerprint)
            return hit[0]

    def _remember(self, fingerprint: bytes, principal: Principal) -> None:
        with self._lock:
            self._cache[fingerprint] = (principal, self._clock() + self._ttl)
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)

    def _forget(self, fingerprint: bytes) -> None:
        with self._lock:
            self._cache.pop(fingerprint, None)
