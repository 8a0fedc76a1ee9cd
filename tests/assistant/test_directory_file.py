"""A contacts file served as a directory: the ``[directory] path`` connector."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.directory_file import FileDirectory
from assistant.errors import ConfigError
from connectors.conformance import conform
from tests.assistant.test_directory_source import people


async def test_a_directory_file_keeps_the_directory_ports_contract(tmp_path: Path) -> None:
    directory = FileDirectory.read(people(tmp_path))
    report = await conform(directory)
    report.assert_ok()
    assert report.ports == ("directory",)


async def test_a_directory_file_pages_every_entry_once_and_searches_names_and_aliases(
    tmp_path: Path,
) -> None:
    directory = FileDirectory.read(people(tmp_path))
    seen, cursor = [], None
    while True:
        page = await directory.list_contacts(cursor, page_size=3)
        seen.extend(c.id for c in page.contacts)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [*(f"emp-{n}" for n in range(1, 8)), "grp-ops"]
    assert [c.id for c in await directory.search_contacts("person 3")] == ["emp-3"]
    assert [c.id for c in await directory.search_contacts("p5")] == ["emp-5"]
    assert len(await directory.search_contacts("person", limit=2)) == 2


def test_an_oversized_contacts_file_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.directory_file as source

    path = people(tmp_path)
    monkeypatch.setattr(source, "MAX_FILE_BYTES", 64)
    with pytest.raises(ConfigError, match=r"people\.csv is \d+ bytes, more than the 64"):
        FileDirectory.read(path)
