"""LISTEN on PostgreSQL: every notification reaches the handler, and a dropped link comes back.

Specification: ``listen`` hands each payload of its channel to the handler
on the event loop, in order; when the listening connection is cut (the
server restarted, a network blip) it reconnects by itself and says so
(``on_connect`` runs again, so the caller can catch up on what it missed).
A handler failing on one payload does not stop the next.
"""

from __future__ import annotations

import asyncio
import contextlib

from assistant.errors import StorageError
from assistant.storage.listen import listen
from assistant.storage.postgres import PostgresDatabase
from tests.servers.postgres import PostgresServer

CHANNEL = "drivetalk_test"


async def until(predicate: object, timeout: float = 60) -> None:
    async def wait() -> None:
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.05)

    await asyncio.wait_for(wait(), timeout)


async def test_notifications_arrive_in_order_and_a_cut_link_reconnects(
    postgres: PostgresServer,
) -> None:
    db = PostgresDatabase.connect(postgres.create_database(), max_size=2)
    heard: list[str] = []
    connected: list[int] = []

    async def on_note(payload: str) -> None:
        if payload == "bad":
            raise StorageError("this one cannot be handled")
        heard.append(payload)

    task = asyncio.create_task(listen(db, CHANNEL, on_note, lambda: connected.append(1)))
    try:
        await until(lambda: len(connected) == 1)
        for payload in ("one", "bad", "two"):
            db.query("SELECT pg_notify(?, ?)", (CHANNEL, payload))
        await until(lambda: heard == ["one", "two"])
        # Cut the listening connection from the server side.
        db.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE left(query, 7) = 'LISTEN ' AND pid <> pg_backend_pid()"
        )
        await until(lambda: len(connected) == 2)
        db.query("SELECT pg_notify(?, ?)", (CHANNEL, "three"))
        await until(lambda: heard == ["one", "two", "three"])
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        db.close()
