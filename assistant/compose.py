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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from assistant.backend import build_backend
from assistant.config import DialogSettings, Settings, default_cache_dir
from assistant.delivery import open_outbox, worker_for
from assistant.dialog.backend_calls import OutboxLike
from assistant.dialog.names import NameBook, sounds_alike
from assistant.dialog.runner import DialogRunner, directory_names
from assistant.dialog.sink import ShownAndSpoken, SpeechSink
from assistant.dialog.state import DialogState, Policy
from assistant.directory_source import Directory, all_contacts, build_directory, directory_parser
from assistant.locales import Locale
from assistant.models import Contact
from connectors.outbox import OUTBOX_FILE, DeliveryWorker, Outbox
from connectors.ports import Connector, DirectoryPort
from intents.parser import Parser


def policy_from(
    settings: DialogSettings, locale: Locale = "en", *, directory: bool = True
) -> Policy:
    """The engine's policy from the validated ``[dialog]`` settings, speaking ``locale``.

    ``directory``: whether names can be looked up at all (see ``[directory]``).
    """
    return Policy(
        answer_timeout=settings.answer_timeout,
        confirm_timeout=settings.confirm_timeout,
        announcement_read=settings.announcement_read,
        max_spoken_chars=settings.max_spoken_chars,
        locale=locale,
        directory=directory,
    )


def directory_for(settings: Settings, backend: object, **options: Any) -> Directory:
    """The directory names are resolved against, for ``backend``: ``[directory]``, else its own.

    The one place a conversation's directory is chosen
    (:func:`assistant.directory_source.build_directory`; ``options`` are a
    tenant's own ``choice``, ``tables``, ``base_dir``, ``data_dir``, ``now``).
    Close it with ``aclose()``: a connector built for the directory alone
    is closed with it, never the backend.
    """
    return build_directory(settings, backend, **options)


async def contacts_of(directory: Directory | DirectoryPort | None) -> list[Contact]:
    """Every entry of ``directory`` (people and groups), page by page; [] without one."""
    if isinstance(directory, Directory):
        return await directory.contacts()
    return await all_contacts(directory)


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


def parser_for(contacts: Iterable[Contact], locale: Locale, *, arbiter: bool = True) -> Parser:
    """The parser of ``locale`` whose names resolve against ``contacts`` (blocking: compiles)."""
    return Parser.from_contacts(contacts, locale, arbiter=arbiter)


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
    directory: bool = True,
    **options: Any,
) -> DialogRunner:
    """A runner speaking ``locale`` into ``speech``: its policy, recognizer names, message names.

    ``directory`` False: no directory is configured, and the driver hears so.
    ``options`` are the runner's remaining fields (``owner``, ``timeouts``, ``new_id``).
    """
    contacts = tuple(contacts)
    return DialogRunner(
        connector=connector,
        outbox=outbox,
        parser=parser,
        clock=clock,
        speech=speech,
        state=DialogState(policy=policy_from(dialog, locale, directory=directory)),
        names=directory_names(contacts, locale),
        # Senders who sound like someone else are announced with their department.
        name_book=NameBook.build(contacts, locale, sounds_alike(parser)),
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
    #: Where names are looked up (``[directory]``, else the backend's own).
    directory: Directory = field(default_factory=lambda: Directory(None))
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
            await self.directory.aclose()
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
    directory = Directory(None)
    try:
        directory = await asyncio.to_thread(directory_for, settings, connector, now=clock)
        outbox = await asyncio.to_thread(
            open_outbox, Path(settings.data_dir) / OUTBOX_FILE, settings.outbox
        )
        contacts = await directory.contacts()
        # A contacts file's name index is kept in the cache between starts.
        cache = default_cache_dir() / "contact-index"
        parser = await asyncio.to_thread(
            directory_parser, directory, contacts, settings.locale, cache, settings.nlu.arbiter
        )
    except BaseException:
        if outbox is not None:
            outbox.close()
        await directory.aclose()
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
        directory=directory.configured,
    )
    return Session(runner, connector, outbox, worker, start_notes(connector), directory)
