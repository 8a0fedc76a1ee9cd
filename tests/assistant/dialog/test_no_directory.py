"""Without any directory the driver hears why a name cannot be found, in every flow."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from assistant.dialog import snapshot as snapshots
from assistant.dialog.actions import DialogAction, FetchEvents
from assistant.dialog.events import Fetched, Incoming
from assistant.dialog.runner import AnswerWindow
from assistant.dialog.state import DialogState, Policy
from assistant.locales import Locale
from assistant.models import Intent
from intents.result import ParseContext
from tests.assistant.dialog.helpers import LI_NA, NOW, Driver, known, message, said, unknown

WHY = {
    "en": "I can't look up names: no directory is configured.",
    "zh": "我没法查找名字：还没有配置通讯录。",
}
NOTHING_SENT = {"en": " Nothing was sent.", "zh": "什么都没发。"}


def without_directory(locale: Locale = "en") -> Driver:
    return Driver(DialogState(policy=Policy(locale=locale, directory=False)))


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_a_message_to_a_name_says_why_it_cannot_be_found(locale: Locale) -> None:
    d = without_directory(locale)
    out = d.say(said(Intent.SEND_MESSAGE, recipient=unknown("Li Na"), body="hi"))
    assert d.spoken(out) == WHY[locale] + NOTHING_SENT[locale]
    assert d.state.task is None  # no "who?" that could never be answered


@pytest.mark.parametrize("query", ["Li Na", "my wife"])
def test_a_contact_question_says_why_whoever_is_asked_for(query: str) -> None:
    d = without_directory()
    out = d.say(said(Intent.QUERY_CONTACT, contact=unknown(query), field="phone"))
    assert d.spoken(out) == WHY["en"]


def test_a_meeting_leaves_out_attendees_and_says_why() -> None:
    d = without_directory()
    start = NOW + timedelta(hours=30)
    out = d.say(
        said(Intent.CREATE_EVENT, title="Budget sync", start=start, attendees=(unknown("Li Na"),))
    )
    d.event(_no_conflicts(out))
    why = "I can't look up names: no directory is configured, so I left out Li Na."
    assert why in d.spoken(d.actions)


def test_with_a_directory_an_unknown_name_is_said_as_before() -> None:
    d = Driver()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=unknown("Bob"), body="hi"))
    assert d.spoken(out).startswith("I don't know anyone called Bob.")


def test_a_known_name_is_unaffected_by_the_flag() -> None:
    d = without_directory()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body="hi"))
    assert d.spoken(out) == "Here's your message to Li Na: Hi. Send it?"


def test_the_flag_survives_a_snapshot() -> None:
    state = replace(DialogState(), policy=Policy(directory=False))
    window = AnswerWindow(0, ParseContext())
    loaded = snapshots.load(snapshots.dump(snapshots.DialogSnapshot(state, window)))
    assert loaded.state.policy.directory is False


def _no_conflicts(actions: list[DialogAction]) -> Fetched:
    (fetch,) = [a for a in actions if isinstance(a, FetchEvents)]
    return Fetched(fetch.request, events=())


def test_a_message_without_a_name_is_not_started_either() -> None:
    d = without_directory()
    out = d.say(said(Intent.SEND_MESSAGE))
    assert d.spoken(out) == WHY["en"] + NOTHING_SENT["en"]
    assert d.state.task is None


def test_a_reply_to_an_announced_message_needs_no_directory() -> None:
    d = without_directory()
    d.event(Incoming((message(LI_NA, "Lunch?"),)))
    out = d.say(said(Intent.REPLY_MESSAGE, body="Sure"))
    assert d.spoken(out) == "Here's your reply to Li Na: Sure. Send it?"
