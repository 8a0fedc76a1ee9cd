"""Same-sounding people: a resolved name carries who else it could be heard as."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.models import Contact
from intents.parser import Parser
from intents.result import ContactResolution
from tests.intents.conftest import load

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def zh_parser() -> Parser:
    """A Chinese parser over data/zh/directory.yaml (李伟 in Sales, 李薇 in Finance)."""
    rows = load("zh/directory.yaml")["contacts"]
    contacts = [Contact(**{**row, "aliases": tuple(row.get("aliases", ()))}) for row in rows]
    return Parser.from_contacts(contacts, "zh")


def recipient(parser: Parser, text: str) -> ContactResolution:
    value = parser.parse(text, now=NOW).slots["recipient"]
    assert isinstance(value, ContactResolution)
    return value


def test_namesakes_homophones_and_english_homophones_are_alike(zh_parser: Parser) -> None:
    finance = recipient(zh_parser, "给财务部的李薇发消息说发票付了")
    assert finance.best is not None
    assert finance.best.id == "lw-fin"
    assert "lw-sales" in finance.alike
    english = recipient(zh_parser, "send a message to li wei in sales saying hi")
    assert english.best is not None
    assert english.best.id == "lw-sales"
    assert "lw-fin" in english.alike


def test_a_name_nobody_else_sounds_like_has_no_alike(parser: Parser) -> None:
    found = recipient(parser, "send a message to zhang san saying hi")
    assert found.best is not None
    assert found.alike == ()


def test_lee_way_sounds_like_li_wen_only_if_the_directory_says_so(parser: Parser) -> None:
    found = recipient(parser, "send a message to lee way saying hi")
    assert found.best is not None
    assert found.best.id == "lee-way"
    assert "li-wen" not in found.alike  # Li Wen is near, but not the same sound


def test_an_ambiguous_name_carries_no_alike(zh_parser: Parser) -> None:
    found = recipient(zh_parser, "给李伟发消息说你好")
    assert found.best is None
    assert found.alike == ()
