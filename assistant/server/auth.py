"""Who is calling: bearer keys verified against the key store, with a small cache.

scrypt makes every verification cost tens of milliseconds on purpose; a
car sending a turn a second must not pay that each time, so a verified key
is remembered (by its SHA-256, never in clear) for ``ttl`` seconds. Revocation
is still checked on every request, so a revoked key stops working at once.

Verification blocks (scrypt, SQLite): :meth:`Authenticator.verify` is for
worker threads (FastAPI runs sync dependencies in its pool);
:meth:`Authenticator.averify` runs it in the authenticator's own small pool,
so a flood of WebSocket starts never occupies the threads that convert audio.
Failures are throttled per key id and per client address
(:mod:`.auththrottle`), and at most ``parallel`` scrypts run at once, so
guessing cannot buy unbounded CPU or memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from assistant.errors import RequestRejectedError
from assistant.server.auththrottle import FailureThrottle
from assistant.server.keys import KeyStore, Principal, key_id_of

#: Longest wait for a free scrypt slot before answering 503.
SLOT_WAIT_SECONDS = 10.0


class Authenticator:
    """Turns an ``Authorization`` header (or a raw key) into a :class:`Principal`."""

    def __init__(
        self,
        store: KeyStore,
        *,
        throttle: FailureThrottle | None = None,
        parallel: int = 2,
        ttl: float = 300.0,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._throttle = throttle or FailureThrottle(1.0, 10)
        self._slots = threading.BoundedSemaphore(parallel)
        self._pool = ThreadPoolExecutor(parallel, thread_name_prefix="drivetalk-auth")
        self._ttl = ttl
        self._capacity = capacity
        self._clock = clock
        self._cache: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def throttle(self) -> FailureThrottle:
        """The failure throttle (shared with the operator-token check)."""
        return self._throttle

    def from_header(self, header: str | None, client: str | None = None) -> Principal:
        """Verify ``Authorization: Bearer <key>``; 401 for a missing or bad key."""
        if not header:
            raise RequestRejectedError(401, "unauthorized", "missing Authorization: Bearer key")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise RequestRejectedError(
                401, "unauthorized", "the Authorization header must be 'Bearer <key>'"
            )
        return self.verify(key.strip(), client)

    def verify(self, key: str, client: str | None = None) -> Principal:
        """The principal of a valid key; 401 otherwise (the key is never echoed).

        ``client`` is the caller's address, for throttling failures; 429
        ``auth_throttled`` when the key id or the address failed too often.
        """
        fingerprint = hashlib.sha256(key.encode("utf-8", "replace")).digest()
        principal = self._cached(fingerprint)
        if principal is not None:
            if not self._store.is_active(principal.key_id):
                self._forget(fingerprint)
                raise _refused()
            return principal
        key_id = key_id_of(key)
        if key_id is None:  # malformed: refused without any scrypt
            raise _refused()
        names = [f"key:{key_id}"] + ([f"client:{client}"] if client else [])
        self._throttle.check(names)
        principal = self._scrypt_verify(key)
        if principal is None:
            self._throttle.failed(names)
            raise _refused()
        self._remember(fingerprint, principal)
        return principal

    async def averify(
        self, key: str | None, client: str | None = None, *, header: str | None = None
    ) -> Principal:
        """:meth:`verify` (or :meth:`from_header` when ``header`` is given) off the event loop."""
        loop = asyncio.get_running_loop()
        if header:
            return await loop.run_in_executor(self._pool, self.from_header, header, client)
        return await loop.run_in_executor(self._pool, self.verify, key or "", client)

    def close(self) -> None:
        """Stop the verification threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _scrypt_verify(self, key: str) -> Principal | None:
        if not self._slots.acquire(timeout=SLOT_WAIT_SECONDS):
            raise RequestRejectedError(
                503, "auth_busy", "too many key verifications in progress; retry shortly"
            )
        try:
            return self._store.verify(key)
        finally:
            self._slots.release()

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


def _refused() -> RequestRejectedError:
    return RequestRejectedError(401, "unauthorized", "invalid or revoked API key")
