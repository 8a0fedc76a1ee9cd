"""Tell open WebSocket streams that their key was revoked.

Keys live in SQLite (``server.key_store``), which ``drivetalk keys revoke``
and every server process on the machine share. One task per app asks the
store, twice a second, which of the keys behind its open streams are
revoked (one indexed query, whatever the number of streams) and sets their
events; each stream then closes with ``key_revoked`` (4401).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from assistant.errors import StorageError
from assistant.server.keys import KeyStore

log = logging.getLogger(__name__)

#: Seconds between looks at the key store: revocation reaches a stream within this.
POLL_SECONDS = 0.5


class RevocationWatch:
    """The keys of open streams, and an event per stream set when its key is revoked."""

    def __init__(self, store: KeyStore, period: float = POLL_SECONDS) -> None:
        self._store = store
        self._period = period
        self._watched: dict[str, set[asyncio.Event]] = {}

    @contextmanager
    def watching(self, key_id: str) -> Iterator[asyncio.Event]:
        """An event set once ``key_id`` is revoked, for as long as the block runs."""
        event = asyncio.Event()
        self._watched.setdefault(key_id, set()).add(event)
        try:
            yield event
        finally:
            events = self._watched.get(key_id, set())
            events.discard(event)
            if not events:
                self._watched.pop(key_id, None)

    async def check(self) -> None:
        """Look once: set the events of every watched key that is revoked."""
        if not self._watched:
            return
        revoked = await asyncio.to_thread(self._store.revoked_among, list(self._watched))
        for key_id in revoked:
            for event in self._watched.get(key_id, ()):
                event.set()

    async def run(self) -> None:
        """Check every ``period`` seconds until cancelled; a store error is logged, not fatal."""
        while True:
            await asyncio.sleep(self._period)
            try:
                await self.check()
            except StorageError as exc:
                log.warning("revocation check failed: %s", exc)
