"""A directory read once from a contacts file: ``[directory] path`` (and ``chat --contacts``).

The file is the one ``drivetalk parse --contacts`` reads (CSV or JSON, see
:mod:`intents.directory`); this module bounds it and serves it through the
directory port, page by page, like any connector's directory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from assistant.errors import ConfigError, ConnectorError, InputFileError
from assistant.models import Contact
from connectors.ports import CheckResult, ContactPage
from intents.directory import read_contacts

#: Most directory entries read (a bound on memory, whatever a backend pages out).
MAX_CONTACTS = 200_000
#: Largest contacts file read (200,000 entries of a few hundred bytes fit well inside).
MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class FileDirectory:
    """A directory read once from a contacts file (CSV or JSON, as ``--contacts``).

    A connector with the directory port only, so the conformance kit checks it too.
    """

    name: ClassVar[str] = "directory-file"
    needs_network: ClassVar[bool] = False

    contacts: tuple[Contact, ...]
    source: Path

    @classmethod
    def read(cls, path: Path) -> FileDirectory:
        """Read ``path``; any problem is one ConfigError line naming the file."""
        with contextlib.suppress(OSError):  # a missing file is read_contacts' to explain
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise ConfigError(
                    f"[directory] path: contacts file {path} is {size} bytes,"
                    f" more than the {MAX_FILE_BYTES} a directory file may have"
                )
        try:
            contacts = read_contacts(path)
        except InputFileError as exc:
            raise ConfigError(f"[directory] path: {exc}") from None
        if not contacts:
            raise ConfigError(f"[directory] path: contacts file {path} lists no one")
        if len(contacts) > MAX_CONTACTS:
            raise ConfigError(
                f"[directory] path: contacts file {path} lists {len(contacts)} entries"
                f" (at most {MAX_CONTACTS})"
            )
        return cls(tuple(contacts), path)

    async def check(self) -> CheckResult:
        """Always fine: the file was read when the directory was built."""
        return CheckResult(True, f"{len(self.contacts)} entries from {self.source}")

    async def aclose(self) -> None:
        """Nothing to release: the entries are in memory."""

    async def search_contacts(self, query: str, limit: int = 10) -> Sequence[Contact]:
        """Entries whose name or an alias contains ``query`` (case-insensitive)."""
        wanted = query.strip().casefold()
        found = [
            c
            for c in self.contacts
            if wanted in c.name.casefold() or any(wanted in a.casefold() for a in c.aliases)
        ]
        return found[:limit]

    async def list_contacts(self, cursor: str | None = None, page_size: int = 500) -> ContactPage:
        """The file's entries in pages; the cursor is an offset."""
        try:
            offset = int(cursor or 0)
        except ValueError:
            raise ConnectorError(f"bad directory cursor {cursor!r}") from None
        end = offset + max(1, page_size)
        page = self.contacts[offset:end]
        return ContactPage(page, str(end) if end < len(self.contacts) else None)
