"""The enterprise app's access token: cached, refreshed before it expires.

DingTalk issues a token valid ``expireIn`` seconds (7200 in production) and
limits how often one may be requested, so it is cached and shared. It is
refreshed ``margin`` seconds early (at most half its lifetime, so very short
lifetimes still refresh early), and concurrent callers wait for a single
request instead of stampeding the token endpoint.

Expiry is measured on the wall clock (``time.time``), not ``time.monotonic``:
on Linux the monotonic clock stops while the system is suspended, so after a
parked car wakes up an expired token would look fresh. DingTalk's clock keeps
running, and so does the wall clock. A wall clock that jumped backwards (an
NTP correction) cannot be trusted either: a token "fetched in the future" is
refreshed. Whatever the clocks say, a token the server rejects is dropped by
:meth:`AccessTokenCache.invalidate` and the call retried once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from pydantic import SecretStr

#: Fetches a fresh token: returns (token, lifetime in seconds).
TokenFetcher = Callable[[], Awaitable[tuple[SecretStr, float]]]


class AccessTokenCache:
    """Single-flight cache around a :data:`TokenFetcher`."""

    def __init__(
        self,
        fetch: TokenFetcher,
        *,
        margin: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self._margin = margin
        #: Wall-clock seconds (``time.time``); injected by tests.
        self.clock = clock
        self._lock = asyncio.Lock()
        self._token: SecretStr | None = None
        self._fetched_at = 0.0
        self._refresh_at = 0.0
        #: How many tokens were fetched (for diagnostics and tests).
        self.fetches = 0
        #: How many tokens the server rejected before their time.
        self.rejections = 0

    def __repr__(self) -> str:
        state = "empty" if self._token is None else "cached"
        return f"AccessTokenCache({state}, fetches={self.fetches})"

    def _fresh(self) -> SecretStr | None:
        now = self.clock()
        if self._token is not None and self._fetched_at <= now < self._refresh_at:
            return self._token
        return None

    async def get(self, *, force: bool = False) -> SecretStr:
        """A token that stays valid for at least the margin (``force``: a new one)."""
        token = None if force else self._fresh()
        if token is not None:
            return token
        async with self._lock:
            token = None if force else self._fresh()  # refreshed while we waited?
            if token is not None:
                return token
            token, lifetime = await self._fetch()
            self.fetches += 1
            early = min(self._margin, lifetime / 2)
            now = self.clock()
            self._token, self._fetched_at, self._refresh_at = token, now, now + lifetime - early
            return token

    def invalidate(self, token: SecretStr) -> None:
        """Forget ``token`` after the server rejected it (unless already replaced)."""
        if self._token is not None and self._token == token:
            self._token = None
            self.rejections += 1
