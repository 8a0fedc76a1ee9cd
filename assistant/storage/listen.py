"""PostgreSQL LISTEN on a dedicated connection, handed to the event loop, reconnecting.

A replica learns what other replicas did (a webhook push stored, a delivery
notice owed) from ``NOTIFY``. The listening connection lives outside the
pool in a thread of its own (psycopg's ``notifies`` blocks); each payload is
passed to an async handler on the event loop, one at a time. If the
connection drops (the database restarted, a network blip), the thread
reconnects with a growing pause, and ``on_connect`` runs after every
(re)connection: notifications sent while nobody listened are lost, so the
caller catches up on what it may have missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable

import psycopg

from assistant.errors import DriveTalkError
from assistant.storage.postgres import PostgresDatabase

log = logging.getLogger(__name__)

#: How often the listening thread looks up from its wait to see whether to stop.
POLL_S = 1.0
#: The longest pause between two reconnection attempts (seconds).
MAX_PAUSE_S = 30.0

#: What the thread hands the loop: a payload, or None for "(re)connected".
_Note = str | None


async def listen(
    db: PostgresDatabase,
    channel: str,
    on_note: Callable[[str], Awaitable[None]],
    on_connect: Callable[[], None] = lambda: None,
) -> None:
    """``LISTEN channel`` until cancelled; ``await on_note(payload)`` for each notification."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[_Note] = asyncio.Queue()
    stop = threading.Event()
    # A thread of its own, not the loop's default executor: it blocks for the
    # replica's lifetime, and the executor's few threads serve every request.
    listening = threading.Thread(
        target=_listen,
        args=(db, channel, lambda note: _hand(loop, queue, note), stop),
        name=f"drivetalk-listen-{channel}",
        daemon=True,
    )
    listening.start()
    try:
        while True:
            note = await queue.get()
            try:
                if note is None:
                    on_connect()
                else:
                    await on_note(note)
            except (DriveTalkError, ValueError, KeyError) as exc:  # one bad note, not the rest
                log.warning("notification on %s not handled: %s", channel, exc)
    finally:
        stop.set()  # the thread sees it within POLL_S and closes its connection


def _hand(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[_Note], note: _Note) -> None:
    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody to tell
        loop.call_soon_threadsafe(queue.put_nowait, note)


def _listen(
    db: PostgresDatabase, channel: str, hand: Callable[[_Note], None], stop: threading.Event
) -> None:
    pause = 0.5
    while not stop.is_set():
        try:
            conn = db.listen_connection()
        except DriveTalkError as exc:
            log.warning("cannot listen on %s (retrying in %.0f s): %s", channel, pause, exc)
            stop.wait(pause)
            pause = min(MAX_PAUSE_S, pause * 2)
            continue
        try:
            conn.execute(f"LISTEN {channel}")
            hand(None)
            pause = 0.5
            while not stop.is_set():
                for note in conn.notifies(timeout=POLL_S):
                    hand(note.payload)
        except psycopg.Error as exc:
            log.warning("stopped listening on %s (reconnecting): %s", channel, exc)
            stop.wait(pause)
        finally:
            conn.close()
