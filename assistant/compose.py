"""The composition root: the one place a conversation is built from settings.

Chat, the server and replay all build their conversations here; each
supplies only what differs (the clock, the outbox, the speech sink, the
locale, who owns the messages)::

    settings ─> build_backend ─> connector ─┬─> directory_for ─> contacts_of ─> parser_for
                                            │                        │              │
                                            ▼                        ▼              ▼
    clock, outbox, speech sink, owner ───────────────────────> build_runner ─> DialogRunner

    DialogRunner.hear(heard) -> Turn   (chat, server and replay alike)

:func:`open_conversation` does all of it for ``drivetalk chat`` (and the
conversation-script tests); the server calls :func:`directory_for`,
:func:`parser_for` and :func:`build_runner` per tenant and session;
replay per case.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from assistant.backend import build_backend
from assistant.config import DialogSettings, Settings
from assistant.delivery import open_outbox, worker_for
from assistant.dialog.backend_calls import OutboxLike
from assistant.dialog.names import NameBook
from assistant.dialog.runner import DialogRunner, directory_names
from assistant.dialog.sink import ShownAndSpoken, SpeechSink
from assistant.dialog.state import DialogState, Policy
from assistant.locales import Locale
from assistant.models import Contact
from connectors.outbox import OUTBOX_FILE, DeliveryWorker, Outbox
from connectors.ports import Connector, DirectoryPort
from intents.parser import Parser

#: Directory entries asked for per page.
DIRECTORY_PAGE = 500
#: A directory is read up to this many entries (a runaway pager cannot exhaust memory).
MAX_CONTACTS = 200_000


def policy_from(settings: DialogSettings, locale: Locale = "en") -> Policy:
    """The engine's policy from the validated ``[dialog]`` settings, speaking ``locale``."""
    return Policy(
        answer_timeout=settings.answer_timeout,
        confirm_timeout=settings.confirm_timeout,
        announcement_read=settings.announcement_read,
        max_spoken_chars=settings.max_spoken_chars,
        locale=locale,
    )


def directory_for(settings: Settings, backend: object) -> DirectoryPort | None:
    """The directory names are resolved against, for ``backend`` (None: there is none).

    The one place a conversation's directory is chosen: today the backend's
    own, when it has one.
    """
    del settings  # the [directory] table will choose here
    return backend if isinstance(backend, DirectoryPort) else None


async def contacts_of(directory: DirectoryPort | None) -> list[Contact]:
    """Every entry of ``directory`` (people and groups), page by page; [] without one."""
    if directory is None:
        return []
    contacts: list[Contact] = []
    cursor: str | None = None
    while len(contacts) < MAX_CONTACTS:
        page = await directory.list_contacts(cursor, DIRECTORY_PAGE)
        contacts.extend(page.contacts)
        cursor = page.next_cursor
        if cursor is None:
            break
    return contacts


@runtime_checkable
class HasStartNote(Protocol):
    """A backend with something to tell before the first turn (e.g. an empty local store)."""

    def start_note(self) -> str | None:
        """The note, or None when all is well."""
        ...


def start_notes(backend: object) -> tuple[str, ...]:
    """What the driver should hear about the backend before the first turn."""
    note = backend.start_note() if isinstance(backend, HasStartNote) else None
    return (note,) if note else ()


def parser_for(contacts: Iterable[Contact], locale: Locale) -> Parser:
    """The parser of ``locale`` whose names resolve against ``contacts`` (blocking: compiles)."""
    return Parser.from_contacts(contacts, locale)


def build_runner(
    dialog: DialogSettings,
    *,
    connector: object,
    outbox: OutboxLike,
    parser: Parser,
    contacts: Iterable[Contact],
    locale: Locale,
    clock: Callable[[], datetime],
    speech: SpeechSink,
    **options: Any,
) -> DialogRunner:
    """A runner speaking ``locale`` into ``speech``: its policy, recognizer names, message names.

    ``options`` are the runner's remaining fields (``owner``, ``timeouts``, ``new_id``).
    """
    contacts = tuple(contacts)
    return DialogRunner(
        connector=connector,
        outbox=outbox,
        parser=parser,
        clock=clock,
        speech=speech,
        state=DialogState(policy=policy_from(dialog, locale)),
        names=directory_names(contacts, locale),
        name_book=NameBook.build(contacts, locale),
        **options,
    )


@dataclass
class Session:
    """A runner plus what it owns (``drivetalk chat``); close it with :meth:`aclose`."""

    runner: DialogRunner
    connector: Connector
    outbox: Outbox
    #: Delivers the outbox in the background (None: the backend cannot send).
    worker: DeliveryWorker | None = None
    #: Said before the first turn (see :func:`start_notes`).
    notes: tuple[str, ...] = ()
    _delivering: asyncio.Task[None] | None = None

    def start_delivery(self) -> None:
        """Start the delivery worker for the rest of the process's life (idempotent)."""
        if self.worker is not None and self._delivering is None:
            self._delivering = asyncio.create_task(self.worker.run())

    async def aclose(self) -> None:
        """Stop delivering, close the speech sink, the connector, then the outbox.

        A message in flight when the worker stops stays pending on disk and
        is sent again, under the same idempotency key, by the next process.
        """
        if self._delivering is not None:
            self._delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivering
        try:
            await self.runner.speech.aclose()
            await self.connector.aclose()
        finally:
            self.outbox.close()


async def open_conversation(
    settings: Settings,
    *,
    zone: ZoneInfo,
    clock: Callable[[], datetime],
    speech: SpeechSink | None = None,
    timeouts: bool = True,
) -> Session:
    """The configured backend, its directory, the outbox in the data dir, the parser and runner.

    ``speech`` (default: lines dropped, nothing played) hears everything said.
    """
    connector = await asyncio.to_thread(build_backend, settings, zone=zone, now=clock)
    outbox: Outbox | None = None
    try:
        outbox = await asyncio.to_thread(
            open_outbox, Path(settings.data_dir) / OUTBOX_FILE, settings.outbox
        )
        contacts = await contacts_of(directory_for(settings, connector))
        parser = await asyncio.to_thread(parser_for, contacts, settings.locale)
    except BaseException:
        if outbox is not None:
            outbox.close()
        await connector.aclose()
        raise
    worker = worker_for(outbox, connector, settings.outbox)
    runner = build_runner(
        settings.dialog,
        connector=connector,
        outbox=outbox,
        parser=parser,
        contacts=contacts,
        locale=settings.locale,
        clock=clock,
        speech=speech or ShownAndSpoken(),
        timeouts=timeouts,
        delivery=worker,
    )
    return Session(runner, connector, outbox, worker, start_notes(connector))
