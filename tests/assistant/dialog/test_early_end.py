"""The "complete enough?" policy: which partial transcripts may end an utterance early."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.asr.listener import Listener
from assistant.audio.endpoint import Completeness
from assistant.dialog.early_end import answer_kind, completeness, is_complete
from assistant.dialog.runner import DialogRunner
from assistant.models import Intent
from assistant.replay.frontend import Heard
from assistant.replay.manifest import Turn, load_manifest
from assistant.replay.runner import Replayer
from intents.parser import Parser
from intents.result import Expect, ParseContext
from tests.assistant.dialog.helpers import APOLLO, LI_NA, LI_WEI_FINANCE, LI_WEI_SALES, NOW

#: The shipped replay set (English and Mandarin cases, transcripts and audio).
REPLAY_SET = Path(__file__).resolve().parents[3] / "audio_samples"
#: Intents whose answer carries free text the driver dictates.
DICTATED = {Intent.SEND_MESSAGE, Intent.REPLY_MESSAGE, Intent.CREATE_EVENT}

ROWS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "early_end.yaml").read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def parser() -> Parser:
    return Parser.from_contacts([LI_WEI_SALES, LI_WEI_FINANCE, LI_NA, APOLLO])


@pytest.fixture(scope="module")
def parsers(parser: Parser) -> dict[str, Parser]:
    """The parser of each locale a row may name (English when it names none)."""
    zh = Parser.from_contacts([LI_WEI_SALES, LI_WEI_FINANCE, LI_NA, APOLLO], "zh")
    return {"en": parser, "zh": zh}


def _context(row: dict[str, Any]) -> ParseContext:
    return ParseContext(Expect(row["expect"]), tuple(row.get("choices", ())))


@pytest.mark.parametrize(
    "row", ROWS, ids=[f"{r.get('locale', 'en')}:{r['expect']}:{r['text']}" for r in ROWS]
)
def test_a_partial_is_complete_only_when_it_answers_the_open_question(
    parsers: dict[str, Parser], row: dict[str, Any]
) -> None:
    context = _context(row)
    result = parsers[row.get("locale", "en")].parse(row["text"], now=NOW, context=context)
    assert is_complete(result, context) is row["complete"]


@pytest.mark.parametrize(
    "row", ROWS, ids=[f"{r.get('locale', 'en')}:{r['expect']}:{r['text']}" for r in ROWS]
)
def test_a_yes_no_a_choice_or_a_lookup_is_closed_others_take_the_early_pause(
    parsers: dict[str, Parser], row: dict[str, Any]
) -> None:
    context = _context(row)
    parser = parsers[row.get("locale", "en")]
    level = completeness(parser.parse(row["text"], now=NOW, context=context), context)
    if not row["complete"]:
        assert level is Completeness.NO
    elif row.get("closed", row["expect"] in ("yes_no", "choice") or row.get("lookup")):
        assert level is Completeness.CLOSED
    else:
        assert level is Completeness.COMPLETE


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


@pytest.mark.parametrize("text", ["read my messages", "read messages from Li Na"])
def test_reading_takes_the_closed_pause_only_while_its_mark_as_read_is_held(
    parser: Parser, text: str
) -> None:
    context = ParseContext()
    result = parser.parse(text, now=NOW, context=context)
    assert completeness(result, context) is Completeness.COMPLETE
    assert completeness(result, context, reads_held=True) is Completeness.CLOSED
    # Nothing else changes: a message still waits for its body.
    body = parser.parse("send a message to Li Na", now=NOW, context=ParseContext(Expect.BODY))
    assert completeness(body, ParseContext(Expect.BODY), reads_held=True) is Completeness.NO


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


class PrefixReplayer(Replayer):
    """The replay harness in transcript mode, asking at every turn about every word prefix."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: (answer kind, transcript, carries a body, strict prefixes complete in context)
        self.seen: list[tuple[str, str, bool, list[str]]] = []

    async def _hear(self, runner: DialogRunner, turn: Turn, listener: Listener | None) -> Heard:
        kind = answer_kind(runner.context)
        words = turn.transcript.split()
        prefixes = [" ".join(words[:k]) for k in range(1, len(words))]
        body = kind in ("body", "title") or (turn.intent in DICTATED and "body" in turn.slots)
        complete = [p for p in prefixes if runner.complete_enough(p)]
        self.seen.append((kind, turn.transcript, body, complete))
        return await super()._hear(runner, turn, listener)


async def test_no_dictated_body_of_the_replay_set_can_be_cut_at_any_pause() -> None:
    """Worst case on the shipped replay set: a driver pausing after any word of a body.

    Every turn is replayed in its dialog context (transcripts, fresh demo
    store per case); no strict word prefix of a body, a title or a command
    carrying a body may count as complete, so no pause inside one can end
    the utterance early (0 cut-offs, whatever the pause).
    """
    manifest = load_manifest(REPLAY_SET)
    replayer = PrefixReplayer(manifest)
    results = await replayer.run([c for c in manifest.cases if c.locale == "en"])
    assert all(r.error is None for r in results)
    bodies = [row for row in replayer.seen if row[2]]
    assert len(bodies) >= 20  # the set dictates bodies and titles in many flows
    assert [(text, cut) for _, text, _, cut in bodies if cut] == []
    # The fast path is real: short answers and commands are complete in context.
    kinds = {kind for kind, text, body, _ in replayer.seen if not body}
    assert {"yes_no", "command"} <= kinds
