"""Every locale's catalogue says the same things: same keys, same placeholders, a way out.

Specification: ``catalogue/en.yaml`` and ``catalogue/zh.yaml`` have exactly
the same keys in ``prompts``, ``phrases`` and ``vocabulary``, and every
template takes exactly the same placeholders, so a flow can never ask a
locale for something it lacks. Mandarin prompts use no Latin letters (no
English a Chinese driver would not expect) and stay short; every Chinese
department of the demo organisation has its usual name.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pytest
import yaml

import assistant.dialog
from assistant.dialog.prompts import _catalogue, phrase, prompt, vocabulary, word
from assistant.errors import DialogError
from assistant.locales import LOCALES

DEMO = Path(__file__).parents[3] / "connectors" / "local" / "demo_org.yaml"
TABLES = ("prompts", "phrases", "vocabulary")


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        found: dict[str, Any] = {}
        for key, value in node.items():
            found.update(flatten(value, f"{prefix}{key}."))
        return found
    return {prefix.rstrip("."): node}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_there_are_two_locales() -> None:
    assert LOCALES == ("en", "zh")


@pytest.mark.parametrize("table", TABLES)
def test_every_locale_has_the_same_keys(table: str) -> None:
    keys = {locale: set(flatten(_catalogue(locale)[table])) for locale in LOCALES}
    assert keys["en"], table
    assert keys["zh"] == keys["en"], keys["zh"] ^ keys["en"]


@pytest.mark.parametrize("table", ["prompts", "phrases"])
def test_every_template_takes_the_same_placeholders(table: str) -> None:
    english = flatten(_catalogue("en")[table])
    chinese = flatten(_catalogue("zh")[table])
    for key, template in english.items():
        assert placeholders(str(chinese[key])) == placeholders(str(template)), key


def test_mandarin_prompts_are_chinese_and_short() -> None:
    for key, template in flatten(_catalogue("zh")["prompts"]).items():
        text = re.sub(r"\{[a-z_]+\}", "", str(template))
        assert not re.search(r"[A-Za-z]", text), (key, template)
        assert len(text) <= 50, (key, template)


def test_every_vocabulary_offers_a_way_out_in_chinese() -> None:
    for name in ("yes_no", "choice", "contact", "reading"):
        assert "取消" in vocabulary(name, "zh"), name


def test_confirmations_and_refusals_a_chinese_driver_says_are_listened_for() -> None:
    words = vocabulary("yes_no", "zh")
    for said in ("是的", "对", "好的", "发吧", "可以", "不", "不要", "算了", "取消", "不用了"):
        assert said in words, said


def test_every_department_of_the_demo_organisation_has_a_chinese_name() -> None:
    org = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    departments = {p["department"] for p in [org["me"], *org["people"]] if p.get("department")}
    for department in departments:
        chinese = word("departments", department, "zh")
        assert chinese != department, department
        assert chinese.endswith("部"), chinese
    assert word("departments", "Sales", "en") == "Sales"


def test_every_job_title_of_the_demo_organisation_has_a_chinese_name() -> None:
    org = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    titles = {p["title"] for p in [org["me"], *org["people"]] if p.get("title")}
    for title in titles:
        chinese = word("titles", title, "zh")
        assert not re.search(r"[a-z]", chinese), (title, chinese)


SOURCES = list(Path(assistant.dialog.__file__).parent.glob("*.py"))
PHRASES = sorted(
    {
        key
        for path in SOURCES
        for key in re.findall(r"""\bphrase\(\s*f?["']([a-z_]+)["']""", path.read_text())
    }
)


def test_the_flows_build_sentences_from_phrases() -> None:
    assert len(PHRASES) > 20


@pytest.mark.parametrize("key", PHRASES)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_phrase_the_flows_use_exists(key: str, locale: str) -> None:
    assert key in _catalogue(locale)["phrases"]  # type: ignore[arg-type]


def test_the_locale_is_chosen_per_call() -> None:
    assert prompt("send.sent", name="Li Na", locale="en") == "Sent to Li Na."
    assert prompt("send.sent", name="李娜", locale="zh") == "已发给李娜。"
    assert phrase("choice_person", name="李伟", department="销售部", locale="zh") == "销售部的李伟"


def test_an_unknown_locale_is_a_dialog_error() -> None:
    with pytest.raises(DialogError, match="unknown locale 'ko'"):
        prompt("send.sent", name="x", locale="ko")  # type: ignore[arg-type]
