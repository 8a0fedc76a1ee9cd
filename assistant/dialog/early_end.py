"""When may the driver's utterance end early? The "complete enough?" policy.

The listener ends an utterance after a long pause (``trailing_silence_ms``)
so that a dictated message is never cut while the driver thinks. Most
answers are short and whole the moment they are said: a "yes" to "Send
it?", "the second one", "read my messages". For those the listener may end
the utterance after a short pause (``early_silence_ms``), if the
conversation says what it heard so far is complete for the open question.

This module is that judgement, from the parse of the partial transcript and
the dialog's expectation only: pure, per answer kind, no audio, no engine.
The audio side knows no language and the parser knows no dialog; the
runner joins them (:meth:`~assistant.dialog.runner.DialogRunner.complete_enough`).
"""

from __future__ import annotations

from assistant.audio.endpoint import Completeness
from assistant.models import Intent
from intents.result import ContactResolution, Expect, ParseContext, ParseResult

#: A parse must be at least this sure before the utterance may end early (the
#: parser gives in-domain commands 0.75-0.99, out-of-domain speech 0.55-0.65).
MIN_CONFIDENCE = 0.75
#: Answers to a yes/no question that are whole as soon as they are parsed.
#: "no" too, though it may begin a correction ("no | to Li Na"): an early end
#: is provisional, and speech going on within ``[asr] rejoin_ms`` is joined to
#: it (:mod:`assistant.dialog.continuation`), so the correction is not lost.
_YES_NO = frozenset({Intent.CONFIRM, Intent.CANCEL, Intent.DENY})
#: Commands with no free-text slot: nothing the driver adds after a pause
#: could be a message body or a title that a cut would lose. Not confirm,
#: deny or cancel: with no question open, "send" parses as a confirmation and
#: "cancel" may begin "cancel my three o'clock".
_COMMANDS = frozenset(
    {
        Intent.READ_MESSAGES,
        Intent.QUERY_CALENDAR,
        Intent.QUERY_CONTACT,
        Intent.REPEAT,
        Intent.NEXT,
        Intent.HELP,
    }
)
#: A command of one word is complete only if it is one of these: "what" alone
#: parses as "repeat", but usually begins a question.
_ONE_WORD_COMMANDS = frozenset({Intent.HELP})
#: Expectations whose answer is free text: always the long pause. A body or a
#: title is whole only when the driver stops talking, which only silence tells.
_DICTATION = frozenset({Expect.BODY, Expect.TITLE, Expect.TIME})


def answer_kind(context: ParseContext) -> str:
    """The kind of answer the open question wants: a label for measurements."""
    return "command" if context.expect is Expect.ANYTHING else context.expect.value


#: Questions whose answers are closed: once a yes or a choice is heard,
#: nothing the driver adds changes it ("yes | please", "the second one | thanks"),
#: so the shortest pause ends it (``[asr] answer_silence_ms``).
_CLOSED = frozenset({Expect.YES_NO, Expect.CHOICE})
#: Commands that only look something up: the shortest pause too, since what
#: the driver adds soon after ("am I free | tomorrow afternoon") is joined to
#: them, the lookup taken back (:mod:`assistant.dialog.continuation`).
_LOOKUPS = frozenset({Intent.QUERY_CALENDAR, Intent.QUERY_CONTACT})


def completeness(
    result: ParseResult, context: ParseContext, *, reads_held: bool = False
) -> Completeness:
    """How whole ``result`` (the parse of a partial transcript) is for ``context``.

    :attr:`~Completeness.CLOSED` for an answer to a yes/no or a choice and a
    whole question that only looks something up (calendar, contact; with
    ``reads_held``, reading messages too: the runner holds their "mark as
    read" while a continuation may join them), :attr:`~Completeness.COMPLETE`
    for a name, a read-back's new recipient ("no, to Li Na") or another
    whole command, else :attr:`~Completeness.NO` (see :func:`is_complete`).
    """
    if not is_complete(result, context):
        return Completeness.NO
    if _new_recipient(result):  # not closed: "saying ..." may follow
        return Completeness.COMPLETE
    if context.expect in _CLOSED or result.intent in _LOOKUPS:
        return Completeness.CLOSED
    if reads_held and result.intent is Intent.READ_MESSAGES:
        return Completeness.CLOSED
    return Completeness.COMPLETE


def is_complete(result: ParseResult, context: ParseContext) -> bool:
    """Whether ``result`` (the parse of a partial transcript) already answers ``context``."""
    if context.expect in _DICTATION or result.confidence < MIN_CONFIDENCE:
        return False
    if context.expect is Expect.YES_NO:
        # A correction parses as send_message: whole only if it names the new
        # recipient and nothing else ("no, to Li Na"); a new body is dictation.
        # The early end is provisional: "no, to Li Na | saying ..." is joined.
        yes_no = result.intent in _YES_NO and not _denial_with_content(result)
        return yes_no or _new_recipient(result)
    if context.expect is Expect.CHOICE:
        return result.intent is Intent.CONFIRM and "choice" in result.slots
    if context.expect is Expect.CONTACT:
        return _names_one_contact(result)
    if len(result.text.split()) < 2 and result.intent not in _ONE_WORD_COMMANDS:
        return False
    return result.intent in _COMMANDS


def _names_one_contact(result: ParseResult) -> bool:
    recipient = result.slots.get("recipient")
    return (
        result.intent is Intent.SEND_MESSAGE
        and "body" not in result.slots
        and isinstance(recipient, ContactResolution)
        and recipient.best is not None
    )


def _new_recipient(result: ParseResult) -> bool:
    """A read-back's correction that names one new recipient and no body."""
    return bool(result.slots.get("correction")) and _names_one_contact(result)


def _denial_with_content(result: ParseResult) -> bool:
    """A "no" that also changes something ("no, urgent"): more may follow, wait."""
    return result.intent is Intent.DENY and bool(result.slots)
