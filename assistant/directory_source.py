"""Where names are looked up, whatever delivers the messages: the ``[directory]`` table.

The parser and the dialog resolve "Li Na" against a directory; the backend
delivers. The two need not be the same connector::

    backend = "webhook"            # delivery: the enterprise's own endpoint
    [directory]
    path = "people.csv"            # names: a contacts file (as ``--contacts`` reads)
    # or: connector = "local"      # names: another connector's directory

Neither key: the backend's own directory, when it has one (``local``,
``matrix``, ``dingtalk``); a backend without one (``webhook``, ``caldav``)
then has no directory at all, which :func:`missing_directory` says in one
line and the dialog explains to the driver. Every bad choice (a missing or
malformed file, an unknown connector, one without a directory) is one
:class:`~assistant.errors.ConfigError` line naming the problem.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant.backend import build_backend
from assistant.config import DirectorySettings, Settings
from assistant.directory_file import MAX_CONTACTS, FileDirectory
from assistant.errors import ConfigError
from assistant.locales import Locale
from assistant.models import Contact
from connectors import registry
from connectors.conformance import ports_of
from connectors.ports import Connector, DirectoryPort
from intents.parser import Parser

#: Entries asked for per page when reading a whole directory.
PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class Directory:
    """The directory a conversation resolves names against, and where it comes from."""

    #: None: no directory at all (names cannot be looked up).
    port: DirectoryPort | None
    #: Where names come from, for people: "the file people.csv", "connector 'local'".
    origin: str = ""
    #: A connector built for the directory alone, closed with it (None: nothing to close).
    owned: Connector | None = None

    @property
    def configured(self) -> bool:
        """Whether names can be looked up at all."""
        return self.port is not None

    async def contacts(self) -> list[Contact]:
        """Every entry (people and groups), at most :data:`MAX_CONTACTS`."""
        return await all_contacts(self.port)

    async def aclose(self) -> None:
        """Close the connector built for the directory alone (never the backend)."""
        if self.owned is not None:
            await self.owned.aclose()


def directory_parser(
    directory: Directory,
    contacts: Sequence[Contact],
    locale: Locale,
    cache_dir: Path | None,
    arbiter: bool = True,
) -> Parser:
    """The parser over the directory's names.

    A contacts file's name index is kept in ``cache_dir`` between runs (as
    ``parse --contacts`` keeps it), so a large file does not slow every start.
    """
    if isinstance(directory.port, FileDirectory) and cache_dir is not None:
        return Parser.from_contacts_file(directory.port.source, locale, cache_dir, arbiter=arbiter)
    return Parser.from_contacts(contacts, locale, arbiter=arbiter)


async def all_contacts(directory: object) -> list[Contact]:
    """Every entry of ``directory`` (none if it is not a directory), page by page."""
    if not isinstance(directory, DirectoryPort):
        return []
    contacts: list[Contact] = []
    cursor: str | None = None
    while len(contacts) < MAX_CONTACTS:
        page = await directory.list_contacts(cursor, PAGE_SIZE)
        contacts.extend(page.contacts)
        cursor = page.next_cursor
        if cursor is None:
            break
    return contacts[:MAX_CONTACTS]


def build_directory(
    settings: Settings,
    backend: object,
    *,
    choice: DirectorySettings | None = None,
    tables: Mapping[str, Mapping[str, Any]] | None = None,
    base_dir: Path | None = None,
    data_dir: Path | None = None,
    now: Callable[[], datetime] | None = None,
) -> Directory:
    """The directory for a conversation delivering through ``backend``.

    ``choice`` (default ``settings.directory``), ``tables`` (default
    ``settings.connectors``) and ``data_dir`` are a tenant's own when given;
    a relative ``path`` is taken from ``base_dir`` (default: the working
    directory).
    """
    choice = choice or settings.directory
    if choice.path is not None:
        path = choice.path if base_dir is None else base_dir / choice.path
        return Directory(FileDirectory.read(path), f"the file {path}")
    if choice.connector is not None:
        return _connector_directory(
            choice.connector, settings, backend, tables=tables, data_dir=data_dir, now=now
        )
    if isinstance(backend, DirectoryPort):
        return Directory(backend, f"backend {getattr(backend, 'name', '?')!r}")
    return Directory(None)


def _connector_directory(
    name: str,
    settings: Settings,
    backend: object,
    *,
    tables: Mapping[str, Mapping[str, Any]] | None,
    data_dir: Path | None,
    now: Callable[[], datetime] | None,
) -> Directory:
    if name == getattr(backend, "name", None):
        # The backend itself: one connector, not two talking to the same server.
        if not isinstance(backend, DirectoryPort):
            raise ConfigError(_no_directory_port(name, ports_of(backend)))
        return Directory(backend, f"backend {name!r}")
    check_directory_connector(name)
    table = (settings.connectors if tables is None else tables).get(name, {})
    try:
        connector = build_backend(settings, name, config=table, data_dir=data_dir, now=now)
    except ConfigError as exc:
        raise ConfigError(f"[directory] connector {name!r}: {exc}") from None
    if not isinstance(connector, DirectoryPort):
        raise ConfigError(_no_directory_port(name, ports_of(connector)))
    return Directory(connector, f"connector {name!r}", owned=connector)


def check_directory_connector(name: str) -> None:
    """ConfigError unless connector ``name`` is installed and has a directory port."""
    installed = registry.available()
    if name not in installed:
        known = ", ".join(sorted(installed)) or "none"
        raise ConfigError(f"[directory] connector {name!r} is not installed (installed: {known})")
    ports = ports_of(registry.load(name))
    if "directory" not in ports:
        raise ConfigError(_no_directory_port(name, ports))


def _no_directory_port(name: str, ports: Sequence[str]) -> str:
    offered = ", ".join(ports) or "none"
    return (
        f"[directory] connector {name!r} has no directory (its ports: {offered});"
        " name one that has, or set [directory] path to a contacts file"
    )


async def directory_contacts(settings: Settings) -> list[Contact]:
    """The entries of ``[directory]`` for a command that builds no backend (``parse``)."""
    directory = await asyncio.to_thread(build_directory, settings, None)
    try:
        return await directory.contacts()
    finally:
        await directory.aclose()


def check_directory(settings: Settings) -> str | None:
    """Check the server-wide ``[directory]`` at start: ConfigError if it is bad.

    Returns the one line saying names cannot be looked up when the backend
    has no directory and none is configured, else None.
    """
    choice = settings.directory
    if choice.path is not None:
        FileDirectory.read(choice.path)
        return None
    if choice.connector is not None:
        check_directory_connector(choice.connector)
        return None
    if "directory" in ports_of(registry.load(settings.backend)):
        return None
    return missing_directory(settings.backend)


def missing_directory(backend: str) -> str:
    """The start-up line for a backend that leaves names unresolvable."""
    return (
        f"backend {backend!r} has no directory, so names cannot be looked up:"
        " set [directory] path (a contacts file) or [directory] connector"
    )


def directory_table(table: object, where: str) -> DirectorySettings:
    """A ``[directory]`` table read from ``where`` (a tenant.toml), validated."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: [directory] must be a table")
    try:
        return DirectorySettings.model_validate(dict(table))
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        reason = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            raise ConfigError(f"{where}: unknown key directory.{key}") from None
        field = f"directory.{key}" if key else "[directory]"
        raise ConfigError(f"{where}: bad {field} value: {reason}") from None
