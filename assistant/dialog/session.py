"""Assembling a dialog: backend, outbox, parser and speaker around a runner.

Used by ``drivetalk chat`` and by the conversation-script tests, so both
exercise exactly the same wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from assistant.backend import build_backend
from assistant.config import DialogSettings, Settings, default_cache_dir
from assistant.delivery import open_outbox, worker_for
from assistant.dialog.names import NameBook, display_name
from assistant.dialog.runner import DialogRunner
from assistant.dialog.state import DialogState, Policy
from assistant.directory_source import (
    Directory,
    all_contacts,  # noqa: F401 - its old home, still imported
    build_directory,
    directory_parser,
)
from assistant.locales import Locale
from assistant.models import Contact
from assistant.tts.speaker import Speaker, TextOnlySpeaker
from connectors.outbox import OUTBOX_FILE, DeliveryWorker, Outbox
from connectors.ports import Connector
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


def new_runner(
    connector: Connector,
    outbox: Any,
    parser: Parser,
    contacts: list[Contact],
    settings: Settings,
    *,
    locale: Locale,
    clock: Callable[[], datetime],
    directory: bool = True,
    **options: Any,
) -> DialogRunner:
    """A runner speaking ``locale``: its policy, recognizer names and message names.

    ``directory`` False: no directory is configured, and the driver hears so.
    """
    return DialogRunner(
        connector=connector,
        outbox=outbox,
        parser=parser,
        clock=clock,
        state=DialogState(policy=policy_from(settings.dialog, locale, directory=directory)),
        names=tuple(dict.fromkeys(display_name(c, locale) for c in contacts)),
        name_book=NameBook.build(contacts, locale),
        **options,
    )


@dataclass
class Session:
    """A runner plus what it owns; close it with :meth:`aclose`."""

    runner: DialogRunner
    connector: Connector
    outbox: Outbox
    #: Delivers the outbox in the background (None: the backend cannot send).
    worker: DeliveryWorker | None = None
    #: Where names are looked up (``[directory]``, else the backend's own).
    directory: Directory = field(default_factory=lambda: Directory(None))
    _delivering: asyncio.Task[None] | None = None

    def start_delivery(self) -> None:
        """Start the delivery worker for the rest of the process's life (idempotent)."""
        if self.worker is not None and self._delivering is None:
            self._delivering = asyncio.create_task(self.worker.run())

    async def aclose(self) -> None:
        """Stop delivering, close the speaker, the connector, then the outbox.

        A message in flight when the worker stops stays pending on disk and
        is sent again, under the same idempotency key, by the next process.
        """
        if self._delivering is not None:
            self._delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivering
        try:
            await self.runner.speaker.aclose()
            await self.directory.aclose()
            await self.connector.aclose()
        finally:
            self.outbox.close()


async def open_session(
    settings: Settings,
    *,
    zone: ZoneInfo,
    clock: Callable[[], datetime],
    on_say: Callable[[str], None],
    speaker: Speaker | None = None,
    timeouts: bool = True,
) -> Session:
    """Build the configured backend, the outbox in the data dir, and the parser."""
    data_dir = Path(settings.data_dir)
    connector = await asyncio.to_thread(build_backend, settings, zone=zone, now=clock)
    directory = Directory(None)
    try:
        directory = await asyncio.to_thread(build_directory, settings, connector, now=clock)
        outbox = await asyncio.to_thread(open_outbox, data_dir / OUTBOX_FILE, settings.outbox)
        contacts = await directory.contacts()
        cache = default_cache_dir() / "contact-index"
        parser = await asyncio.to_thread(
            directory_parser, directory, contacts, settings.locale, cache
        )
    except BaseException:
        await directory.aclose()
        await connector.aclose()
        raise
    runner = new_runner(
        connector,
        outbox,
        parser,
        contacts,
        settings,
        locale=settings.locale,
        clock=clock,
        on_say=on_say,
        speaker=speaker or TextOnlySpeaker(),
        timeouts=timeouts,
        directory=directory.configured,
    )
    worker = worker_for(outbox, connector, settings.outbox)
    runner.delivery = worker
    return Session(runner, connector, outbox, worker, directory)
