"""Several recipients, the same message and read-back edits, step by step in the pure engine."""

from __future__ import annotations

from assistant.dialog.actions import SendMessage
from assistant.dialog.events import Done, Failed, Queued, Timeout
from assistant.dialog.names import NameBook
from assistant.dialog.state import DialogState
from assistant.models import Contact, Intent
from intents.result import ContactResolution
from tests.assistant.dialog.helpers import (
    LI_NA,
    LI_WEI_FINANCE,
    LI_WEI_SALES,
    Driver,
    ambiguous,
    known,
    message,
    said,
    unknown,
)

XU_JING = Contact("u-xu-jing", "Xu Jing", department="Marketing")


def several(*resolutions: ContactResolution) -> dict[str, object]:
    """The slots the parser gives "li na and xu jing"."""
    firsts = tuple(r.candidates[0] for r in resolutions if r.candidates)
    return {
        "recipient": ContactResolution("several", firsts, ambiguous=True),
        "recipients": resolutions,
    }


def sends(actions: list[object]) -> list[SendMessage]:
    return [a for a in actions if isinstance(a, SendMessage)]


def test_each_recipient_gets_one_outbox_entry_with_its_own_key() -> None:
    d = Driver()
    out = d.say(
        said(Intent.SEND_MESSAGE, body="Trucks loaded", **several(known(LI_NA), known(XU_JING)))
    )
    assert d.spoken(out) == "Here's your message to Li Na and Xu Jing: Trucks loaded. Send it?"
    out = d.say(said(Intent.CONFIRM))
    messages = [a.message for a in sends(out)]
    assert [m.recipient_id for m in messages] == ["u-li-na", "u-xu-jing"]
    assert {m.body for m in messages} == {"Trucks loaded"}
    assert len({m.idempotency_key for m in messages}) == 2
    assert d.spoken(d.event(Done(sends(out)[0].request))) == ""  # waits for every recipient
    assert d.spoken(d.event(Done(sends(out)[1].request))) == "Sent to Li Na and Xu Jing."


def test_outcomes_that_differ_are_told_per_recipient_and_only_failures_are_kept() -> None:
    d = Driver()
    d.say(
        said(
            Intent.SEND_MESSAGE,
            body="Hi",
            **several(known(LI_NA), known(XU_JING), known(LI_WEI_SALES)),
        )
    )
    out = sends(d.say(said(Intent.CONFIRM)))
    d.event(Queued(out[1].request, "offline"))
    d.event(Failed(out[2].request, "refused"))
    text = d.spoken(d.event(Done(out[0].request)))
    assert text.startswith("Sent to Li Na. ")
    assert "your message to Xu Jing is queued" in text
    assert "I couldn't send your message to Li Wei: refused." in text
    kept = d.state.kept_draft
    assert kept is not None
    assert kept.target is not None
    assert (kept.target.id, kept.also) == ("u-li-wei-sales", ())


def test_a_namesake_among_several_is_asked_about_and_the_order_said_is_kept() -> None:
    d = Driver()
    names = several(ambiguous(LI_WEI_SALES, LI_WEI_FINANCE), known(LI_NA))
    out = d.say(said(Intent.SEND_MESSAGE, body="Budget approved", **names))
    assert d.spoken(out) == "Li Wei in Sales or Li Wei in Finance?"
    out = d.say(said(Intent.CONFIRM, choice=1))
    assert d.spoken(out) == (
        "Here's your message to Li Wei in Finance and Li Na: Budget approved. Send it?"
    )


def test_an_unknown_name_among_several_is_left_out_and_said() -> None:
    d = Driver()
    out = d.say(said(Intent.SEND_MESSAGE, body="Hi", **several(known(LI_NA), unknown("Bob"))))
    assert d.spoken(out) == (
        "I don't know Bob, so I left them out. Here's your message to Li Na: Hi. Send it?"
    )


def test_the_same_message_reuses_the_last_read_back_body_or_says_there_is_none() -> None:
    d = Driver()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=known(XU_JING), same_body=True))
    assert d.spoken(out) == (
        "There's no earlier message to send again. What's the message for Xu Jing?"
    )
    d = Driver()
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body="Running late"))
    d.say(said(Intent.CANCEL))
    out = d.say(said(Intent.SEND_MESSAGE, recipient=known(XU_JING), same_body=True))
    assert d.spoken(out) == "Here's your message to Xu Jing: Running late. Send it?"
    assert sends(d.actions) == []


def test_edits_at_the_read_back_are_read_back_in_full_and_never_sent() -> None:
    d = Driver(DialogState())
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body="On my way"))
    out = d.say(said(Intent.SEND_MESSAGE, urgent=True, correction=True))
    assert d.spoken(out) == "Here's your urgent message to Li Na: On my way. Send it?"
    out = d.say(said(Intent.SEND_MESSAGE, body="bringing the contracts", append=True))
    assert d.spoken(out) == (
        "Here's your urgent message to Li Na: On my way. Bringing the contracts. Send it?"
    )
    assert sends(d.actions) == []
    message = sends(d.say(said(Intent.CONFIRM)))[0].message
    assert (message.body, message.urgent) == ("On my way. Bringing the contracts", True)


def test_a_person_who_sounds_like_another_is_named_with_their_department() -> None:
    d = Driver()
    heard = ContactResolution(
        "li wei in finance", known(LI_WEI_FINANCE).candidates, alike=("u-li-wei-sales",)
    )
    out = d.say(said(Intent.SEND_MESSAGE, recipient=heard, body="Paid"))
    assert d.spoken(out) == "Here's your message to Li Wei in Finance: Paid. Send it?"
    out = d.say(said(Intent.CONFIRM))
    assert d.spoken(d.event(Done(sends(out)[0].request))) == "Sent to Li Wei in Finance."


def test_a_sender_who_sounds_like_another_is_announced_with_their_department() -> None:
    book = NameBook.build([LI_WEI_SALES, LI_WEI_FINANCE, LI_NA], "en", lambda c: c.name == "Li Wei")
    renamed = book.message(message(LI_WEI_FINANCE, "Invoice paid"))
    assert (renamed.sender_name, renamed.conversation_name) == ("Li Wei in Finance",) * 2
    assert book.message(message(LI_NA, "Lunch?")).sender_name == "Li Na"
    chinese = NameBook.build([LI_WEI_FINANCE], "zh", lambda c: True)
    assert chinese.message(message(LI_WEI_FINANCE, "发票付了")).sender_name == "财务部的Li Wei"


def test_an_edit_after_the_draft_was_kept_changes_that_draft() -> None:
    d = Driver()
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body="On my way"))
    d.event(Timeout(d.state.turn))
    assert d.state.kept_draft is not None
    out = d.say(said(Intent.SEND_MESSAGE, urgent=True, correction=True))
    assert d.spoken(out) == (
        "Back to your draft. Here's your urgent message to Li Na: On my way. Send it?"
    )
    assert d.state.kept_draft is None
