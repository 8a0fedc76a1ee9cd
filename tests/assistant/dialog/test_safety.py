"""Safety properties of the engine over random conversations (hypothesis).

Whatever the driver says, in whatever order, with timeouts and incoming
messages in between: a message is only ever sent by a confident "yes" that
answers a read-back naming exactly that recipient and body, and
out-of-domain input never causes any backend write.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from assistant.dialog.actions import CancelEvent, CreateEvent, SendMessage
from assistant.dialog.events import Done, Fetched, Incoming, Timeout, Utterance
from assistant.dialog.state import DialogState
from assistant.models import Intent
from intents.result import ParseResult
from tests.assistant.dialog.helpers import (
    APOLLO,
    LI_NA,
    LI_WEI_FINANCE,
    LI_WEI_SALES,
    NOW,
    Driver,
    ambiguous,
    known,
    message,
    said,
    unknown,
)
from tests.assistant.dialog.readback import read_back_in

UTTERANCES = [
    said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body="Late"),
    said(Intent.SEND_MESSAGE, recipient=ambiguous(LI_WEI_SALES, LI_WEI_FINANCE)),
    said(Intent.SEND_MESSAGE, recipient=unknown("Bob"), body="Hi"),
    said(Intent.SEND_MESSAGE, body="Changed", correction=True),
    said(Intent.SEND_MESSAGE, recipient=known(APOLLO), correction=True),
    said(Intent.SEND_MESSAGE),
    said(Intent.REPLY_MESSAGE, body="On my way"),
    said(Intent.READ_MESSAGES),
    said(Intent.QUERY_CALENDAR),
    said(Intent.CREATE_EVENT, title="Sync", start=NOW),
    said(Intent.CANCEL_EVENT, title="Sync"),
    said(Intent.CONFIRM),
    said(Intent.CONFIRM, choice=1),
    ParseResult("yeah", Intent.CONFIRM, 0.2, {}),
    said(Intent.DENY),
    said(Intent.CANCEL),
    said(Intent.REPEAT),
    said(Intent.NEXT),
    said(Intent.HELP),
    said(Intent.NONE, "play some jazz"),
]

#: Drafts and yeses come up often, so many examples get as far as a send.
LIKELY = [UTTERANCES[0], UTTERANCES[3], UTTERANCES[11]] * 4

steps = st.sampled_from(
    [
        *UTTERANCES,
        *LIKELY,
        *(Timeout(turn) for turn in range(6)),
        Incoming((message(LI_NA, "Lunch?", mid="i1"),)),
        "answer",  # the backend answers whatever is pending
    ]
)


def answer_pending(driver: Driver) -> None:
    """Play the backend: complete the last pending request, if any."""
    last = driver.actions[-1] if driver.actions else None
    request = getattr(last, "request", None)
    if request is None:
        return
    if isinstance(last, SendMessage | CreateEvent | CancelEvent):
        driver.event(Done(request))
    else:
        driver.event(Fetched(request, messages=(message(LI_WEI_SALES, "Hi", mid="r1"),)))


@settings(max_examples=300, deadline=None)
@given(st.lists(steps, min_size=2, max_size=25))
@example([UTTERANCES[0], UTTERANCES[11], "answer"])  # the plain send: the property is exercised
@example([UTTERANCES[1], UTTERANCES[12], UTTERANCES[3], UTTERANCES[13], UTTERANCES[11]])
def test_nothing_is_sent_without_a_confident_yes_to_its_read_back(script: list) -> None:
    d = Driver(DialogState())
    for item in script:
        if item == "answer":
            answer_pending(d)
            continue
        before = d.state
        out = d.say(item) if isinstance(item, ParseResult) else d.event(item)
        for action in out:
            if isinstance(action, SendMessage):
                assert isinstance(item, ParseResult)
                assert item.intent is Intent.CONFIRM
                assert item.confidence >= 0.6
                assert before.waiting == "confirm"
                said = read_back_in(before.last_spoken)
                assert said is not None, before.last_spoken
                assert said.says(action.message.recipient_name, action.message.body), said
            if isinstance(action, CreateEvent | CancelEvent):
                assert isinstance(item, ParseResult)
                assert item.intent is Intent.CONFIRM
                assert before.waiting == "confirm"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(UTTERANCES), max_size=10))
def test_out_of_domain_input_never_writes(prefix: list[ParseResult]) -> None:
    d = Driver()
    for result in prefix:
        d.say(result)
    before = len(d.actions)
    d.event(Utterance(said(Intent.NONE, "play some jazz"), "x"))
    writes = [
        a for a in d.actions[before:] if isinstance(a, SendMessage | CreateEvent | CancelEvent)
    ]
    assert writes == []
