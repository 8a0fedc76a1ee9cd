"""A DriveTalk process with an outbox and its delivery worker, for fault tests to kill.

``python -m tests.servers.outbox_child CONFIG MODE [MESSAGES]``

CONFIG is a DriveTalk TOML file (``data_dir``, ``backend``, its
``[connectors.NAME]`` table, ``[outbox]`` timings); secrets come from the
environment as usual. MESSAGES is a JSON file: a list of objects with the
fields of :class:`~assistant.models.OutgoingMessage`. The outbox, connector
and worker are built exactly as ``drivetalk chat`` builds them
(:mod:`assistant.delivery`, :func:`assistant.backend.build_backend`). With
``[server] database_url`` it is a fleet replica: tenant ``acme``'s outbox in
PostgreSQL, shared with the other replicas.

MODE:

``enqueue``  enqueue MESSAGES, print ``READY``, wait to be killed (before any network call)
``sent``     enqueue and send each straight through the connector (the receiver has
             them, the outbox has not recorded it), print ``READY``, wait to be killed
``deliver``  enqueue, print ``READY``, run the delivery worker until nothing is pending,
             print ``EMPTY`` and exit 0
``worker``   print ``READY``, run the delivery worker until nothing is pending, ``EMPTY``

SIGTERM stops the worker as a shutdown would (a message in flight stays
pending), prints ``STOPPED`` and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path

from assistant.backend import build_backend
from assistant.config import Settings, load_settings
from assistant.delivery import open_outbox, open_shared_outbox, worker_for
from assistant.models import OutgoingMessage
from assistant.storage.fleet import fleet_database
from connectors.outbox import OUTBOX_FILE, Outbox


def say(word: str) -> None:
    """Tell the parent process where we are."""
    print(word, flush=True)


async def run(settings: Settings, mode: str, messages: list[OutgoingMessage]) -> None:
    """Carry out ``mode`` (see the module docstring)."""
    connector = build_backend(settings)
    shared = fleet_database(settings)
    if shared is not None:  # a fleet replica: tenant "acme"'s rows in PostgreSQL
        outbox = open_shared_outbox(shared, "acme", settings.outbox)
    else:
        outbox = open_outbox(Path(settings.data_dir) / OUTBOX_FILE, settings.outbox)
    try:
        await act(mode, outbox, connector, messages, settings)
    finally:
        outbox.close()
        if shared is not None:
            shared.close()
        await connector.aclose()


async def act(
    mode: str,
    outbox: Outbox,
    connector: object,
    messages: list[OutgoingMessage],
    settings: Settings,
) -> None:
    """Enqueue, send or deliver as ``mode`` says."""
    if mode != "worker":
        for message in messages:
            outbox.enqueue(message)
    if mode == "sent":
        for message in messages:
            await connector.send(message)  # type: ignore[attr-defined]
    say("READY")
    if mode in ("enqueue", "sent"):
        await asyncio.sleep(3600)  # killed long before this ends
        return
    worker = worker_for(outbox, connector, settings.outbox)
    assert worker is not None, "the backend cannot send messages"
    if await worker.drain(timeout=3600):
        say("EMPTY")


def main(argv: list[str]) -> None:
    """Entry point: ``CONFIG MODE [MESSAGES]``."""
    config, mode, *rest = argv
    settings = load_settings(config)
    messages = []
    if rest:
        raw = json.loads(Path(rest[0]).read_text(encoding="utf-8"))
        messages = [OutgoingMessage(**item) for item in raw]

    async def main_task() -> None:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await run(settings, mode, messages)
            return
        say("STOPPED")

    asyncio.run(main_task())


if __name__ == "__main__":
    main(sys.argv[1:])
