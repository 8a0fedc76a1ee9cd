"""The open question in the dialog state: kept through repeat and help, counted
failures, a way out, and a question a new command interrupted (the pure engine)."""

from __future__ import annotations

from assistant.dialog.events import Timeout
from assistant.dialog.state import ContactLookup, MessageDraft
from assistant.models import Intent
from intents.result import Expect

from .helpers import LI_NA, LI_WEI_FINANCE, LI_WEI_SALES, Driver, ambiguous, known, said


def choosing() -> tuple[Driver, str]:
    d = Driver()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=ambiguous(LI_WEI_SALES, LI_WEI_FINANCE)))
    return d, d.spoken(out)


def test_repeat_and_help_reopen_the_same_choices() -> None:
    d, question = choosing()
    asked = d.listen(d.actions).context
    for word in (Intent.REPEAT, Intent.HELP):
        window = d.listen(d.say(said(word))).context
        assert window == asked
        assert window.expect is Expect.CHOICE
        assert window.choices == asked.choices
    assert d.state.question is not None
    assert d.state.question.text == question


def test_the_second_failed_answer_says_what_can_be_said() -> None:
    d, question = choosing()
    first = d.spoken(d.say(said(Intent.NONE, "um")))
    assert first == f"Sorry, I didn't catch that. {question}"
    second = d.spoken(d.say(said(Intent.CONFIRM, "yes")))
    assert second == f"Say which one, for example the first one, or say cancel. {question}"
    assert d.state.failures == 2


def test_help_and_repeat_are_no_failed_answers() -> None:
    d, _ = choosing()
    d.say(said(Intent.NONE, "um"))
    d.say(said(Intent.HELP))
    d.say(said(Intent.REPEAT))
    assert d.state.failures == 1
    assert d.spoken(d.say(said(Intent.NONE, "hmm"))).startswith("Say which one")


def test_the_third_failed_answer_lets_go_and_keeps_the_draft() -> None:
    d, _ = choosing()
    for text in ("um", "yes", "noise"):
        out = d.say(said(Intent.NONE, text))
    assert d.spoken(out) == (
        "Let's leave that for now. I kept your message draft; say send a message to go back to it."
    )
    assert d.state.task is None
    assert isinstance(d.state.kept_draft, MessageDraft)
    assert d.state.kept_draft.candidates == (LI_WEI_SALES, LI_WEI_FINANCE)


def test_a_good_answer_resets_the_count() -> None:
    d, _ = choosing()
    d.say(said(Intent.NONE, "um"))
    d.say(said(Intent.CONFIRM, "the first one", choice=0))
    assert d.state.failures == 0


def test_a_new_command_at_a_choice_answers_it_and_asks_the_question_again() -> None:
    d = Driver()
    d.say(said(Intent.QUERY_CONTACT, contact=ambiguous(LI_WEI_SALES, LI_WEI_FINANCE)))
    question = d.state.last_spoken
    out = d.say(said(Intent.QUERY_CONTACT, contact=known(LI_NA), field="email"))
    assert d.spoken(out) == (
        f"Li Na's email is li dot na at example dot com. Back to where we were. {question}"
    )
    assert isinstance(d.state.task, ContactLookup)
    assert d.listen(out).context.choices


def test_nobody_answering_the_new_command_does_not_bring_the_old_question_back() -> None:
    d = Driver()
    d.say(said(Intent.QUERY_CONTACT, contact=ambiguous(LI_WEI_SALES, LI_WEI_FINANCE)))
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA)))  # asks for the body
    out = d.event(Timeout(d.state.turn))
    assert "Back to where we were" not in d.spoken(out)
    assert d.state.task is None
    assert d.state.suspended is None
