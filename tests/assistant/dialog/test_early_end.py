"""The "complete enough?" policy: which partial transcripts may end an utterance early."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.dialog.early_end import answer_kind, is_complete
from assistant.dialog.runner import DialogRunner
from intents.parser import Parser
from intents.result import Expect, ParseContext
from tests.assistant.dialog.helpers import APOLLO, LI_NA, LI_WEI_FINANCE, LI_WEI_SALES, NOW

ROWS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "early_end.yaml").read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def parser() -> Parser:
    return Parser.from_contacts([LI_WEI_SALES, LI_WEI_FINANCE, LI_NA, APOLLO])


def _context(row: dict[str, Any]) -> ParseContext:
    return ParseContext(Expect(row["expect"]), tuple(row.get("choices", ())))


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['expect']}:{r['text']}" for r in ROWS])
def test_a_partial_is_complete_only_when_it_answers_the_open_question(
    parser: Parser, row: dict[str, Any]
) -> None:
    context = _context(row)
    result = parser.parse(row["text"], now=NOW, context=context)
    assert is_complete(result, context) is row["complete"]


def test_no_partial_ever_completes_a_dictated_body(parser: Parser) -> None:
    body = "yes cancel read my messages the second one li na repeat that"
    context = ParseContext(Expect.BODY)
    words = body.split()
    for end in range(1, len(words) + 1):
        prefix = " ".join(words[:end])
        assert not is_complete(parser.parse(prefix, now=NOW, context=context), context)


def test_answer_kinds_name_the_expectation() -> None:
    assert answer_kind(ParseContext()) == "command"
    assert answer_kind(ParseContext(Expect.YES_NO)) == "yes_no"
    assert answer_kind(ParseContext(Expect.BODY)) == "body"


async def test_the_runner_judges_in_the_context_of_its_open_question(
    parser: Parser, tmp_path: Path
) -> None:
    from connectors.outbox import Outbox

    outbox = Outbox.open(tmp_path / "outbox.sqlite3")
    try:
        runner = DialogRunner(connector=object(), outbox=outbox, parser=parser, clock=lambda: NOW)
        assert runner.complete_enough("read my messages")
        assert not runner.complete_enough("   ")
        await runner.hear("send a message to Li Na")
        assert runner.context.expect is Expect.BODY
        assert not runner.complete_enough("read my messages")
    finally:
        outbox.close()


async def test_the_server_conversation_hands_the_same_judgement_to_its_stream(
    parser: Parser, tmp_path: Path
) -> None:
    from assistant.server.assembly import DialogConversation
    from connectors.outbox import Outbox

    outbox = Outbox.open(tmp_path / "outbox.sqlite3")
    try:
        runner = DialogRunner(connector=object(), outbox=outbox, parser=parser, clock=lambda: NOW)
        conversation = DialogConversation(runner)
        assert not conversation.awaiting_answer()
        assert conversation.complete_enough("read my messages")
        await conversation.hear_text("send a message to Li Na")
        assert conversation.awaiting_answer()  # "What's the message?": no wake phrase needed
        assert not conversation.complete_enough("read my messages")  # it is the body
    finally:
        outbox.close()
