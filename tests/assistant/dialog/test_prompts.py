"""The prompt catalogue: every key the flows use exists, and nothing sends eyes off the road."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import assistant.dialog
from assistant.dialog.prompts import _catalogue, prompt, vocabulary
from assistant.errors import DialogError

SOURCES = list(Path(assistant.dialog.__file__).parent.glob("*.py"))
USED = sorted(
    {
        key
        for path in SOURCES
        for key in re.findall(
            r"""\bp(?:rompt)?\(\s*f?["']([a-z_]+\.[a-z_]+)["']""", path.read_text()
        )
    }
)


def all_templates(node: object) -> list[str]:
    if isinstance(node, dict):
        return [t for value in node.values() for t in all_templates(value)]
    return [str(node)]


def test_the_flows_use_many_prompts() -> None:
    assert len(USED) > 50


@pytest.mark.parametrize("key", USED)
def test_every_prompt_the_flows_use_exists(key: str) -> None:
    node = _catalogue()["prompts"]
    for part in key.split("."):
        assert part in node, key
        node = node[part]


@pytest.mark.parametrize(
    "state",
    ["idle", "recipient", "choice", "body", "confirm", "reading", "rest", "offer", "title", "time"],
)
def test_every_question_has_help(state: str) -> None:
    assert prompt(f"help.{state}")


def test_no_prompt_asks_the_driver_to_look_at_anything() -> None:
    for template in all_templates(_catalogue()["prompts"]):
        assert not re.search(r"screen|look at|display|tap|read the", template, re.I), template


def test_prompts_are_short() -> None:
    for template in all_templates(_catalogue()["prompts"]):
        assert len(template) <= 140, template


def test_missing_prompt_or_value_is_a_dialog_error() -> None:
    with pytest.raises(DialogError, match="no prompt"):
        prompt("send.nonexistent")
    with pytest.raises(DialogError, match="needs the value"):
        prompt("send.sent")
    with pytest.raises(DialogError, match="no vocabulary"):
        vocabulary("nonexistent")


def test_vocabularies_offer_a_way_out() -> None:
    for name in ("yes_no", "choice", "reading"):
        assert "cancel" in vocabulary(name)
