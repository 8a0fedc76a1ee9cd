"""Contacts files (``--contacts FILE``): names in two scripts become aliases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import InputFileError
from intents.directory import read_contacts


def test_name_zh_and_pinyin_columns_become_aliases_characters_first(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "id,name,name_zh,pinyin,aliases\n"
        "lw,Li Wei,李伟,Lǐ Wěi,Wei;Lee\n"
        "zs,张三,,zhang1 san1,\n"
        "dm,David Miller,,,Dave\n",
        encoding="utf-8",
    )
    contacts = {c.id: c for c in read_contacts(path)}
    assert contacts["lw"].name == "Li Wei"
    assert contacts["lw"].aliases == ("李伟", "Lǐ Wěi", "Wei", "Lee")
    assert contacts["zs"].aliases == ("zhang1 san1",)
    assert contacts["dm"].aliases == ("Dave",)


def test_a_json_entry_carries_them_too_without_repeating_an_alias(tmp_path: Path) -> None:
    path = tmp_path / "contacts.json"
    rows = [{"id": "ln", "name": "Li Na", "name_zh": "李娜", "aliases": ["李娜", "Nina"]}]
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    assert read_contacts(path)[0].aliases == ("李娜", "Nina")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"name_zh": "Li Wei"}, "name_zh must be written in Chinese characters"),
        ({"name_zh": "李wei"}, "name_zh must be written in Chinese characters"),
        ({"pinyin": "李伟"}, "pinyin must be in Latin letters"),
    ],
)
def test_a_name_in_the_wrong_script_is_one_clear_error(
    tmp_path: Path, row: dict[str, str], message: str
) -> None:
    path = tmp_path / "contacts.json"
    path.write_text(json.dumps([{"id": "x", "name": "X", **row}]), encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        read_contacts(path)
