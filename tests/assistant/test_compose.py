"""The composition root: one directory pager, one directory choice, one runner recipe."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from assistant import directory_source
from assistant.compose import contacts_of, directory_for, open_conversation
from assistant.config import Settings
from assistant.dialog.sink import ShownAndSpoken
from assistant.models import Contact
from connectors.ports import ContactPage
from tests.conftest import NOW, ZONE


class PagedDirectory:
    """A directory of ``size`` people served in pages of at most the size asked for."""

    def __init__(self, size: int, endless: bool = False) -> None:
        self.size = size
        self.endless = endless
        self.asked: list[int] = []

    async def search_contacts(self, query: str, limit: int = 10) -> Sequence[Contact]:
        return []

    async def list_contacts(self, cursor: str | None = None, page_size: int = 500) -> ContactPage:
        self.asked.append(page_size)
        start = int(cursor or 0)
        end = start + page_size if self.endless else min(start + page_size, self.size)
        people = tuple(Contact(f"u{i}", f"Person {i}") for i in range(start, end))
        more = self.endless or end < self.size
        return ContactPage(people, str(end) if more else None)


async def test_the_pager_reads_every_page_in_pages_of_five_hundred() -> None:
    directory = PagedDirectory(1201)
    contacts = await contacts_of(directory)
    assert [c.id for c in contacts] == [f"u{i}" for i in range(1201)]
    assert directory.asked == [500, 500, 500]


async def test_a_directory_that_never_ends_is_read_up_to_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(directory_source, "MAX_CONTACTS", 1200)
    contacts = await contacts_of(PagedDirectory(0, endless=True))
    assert len(contacts) == 1200  # three pages read, cut at the limit


async def test_no_directory_means_no_names() -> None:
    assert await contacts_of(None) == []


def test_the_directory_is_the_backends_own_when_it_has_one() -> None:
    directory = PagedDirectory(3)
    assert directory_for(Settings(), directory).port is directory
    assert directory_for(Settings(), object()).port is None


async def test_chat_conversation_resolves_names_from_the_directory(tmp_path: Path) -> None:
    said: list[str] = []
    settings = Settings(data_dir=tmp_path, connectors={"local": {"seed_demo": True}})
    session = await open_conversation(
        settings, zone=ZONE, clock=lambda: NOW, speech=ShownAndSpoken(said.append)
    )
    try:
        assert "Li Na" in session.runner.names
        turn = await session.runner.hear("send a message to Li Na saying on my way")
        assert turn.parse is not None
        assert turn.parse.intent.value == "send_message"
        assert said == list(turn.replies)
    finally:
        await session.aclose()
