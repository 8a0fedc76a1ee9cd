"""The safety properties of ``test_safety.py`` while the dialog speaks Mandarin.

Whatever the driver says, in whatever order, with timeouts, incoming
messages and text in scripts DriveTalk does not read in between: a message
is only ever sent by a confident yes answering a Chinese read-back that
names exactly that recipient (in characters) and body, and neither
out-of-domain input nor Korean, Cyrillic or Arabic text ever writes.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from assistant.dialog.actions import CancelEvent, CreateEvent, SendMessage
from assistant.dialog.events import Incoming, Timeout, Utterance
from assistant.dialog.state import DialogState, Policy
from assistant.models import Intent
from intents.result import ParseResult
from tests.assistant.dialog.helpers import NOW, Driver, ambiguous, known, message, said, unknown
from tests.assistant.dialog.test_engine_zh import APOLLO, LI_NA, LI_WEI_FINANCE, LI_WEI_SALES
from tests.assistant.dialog.test_safety import answer_pending

UTTERANCES = [
    said(Intent.SEND_MESSAGE, "给李娜发消息说我晚点到", recipient=known(LI_NA), body="我晚点到"),
    said(Intent.SEND_MESSAGE, "给李伟发消息", recipient=ambiguous(LI_WEI_SALES, LI_WEI_FINANCE)),
    said(Intent.SEND_MESSAGE, "给王小明发消息", recipient=unknown("王小明"), body="你好"),
    said(Intent.SEND_MESSAGE, "把内容改成改了", body="改了", correction=True),
    said(Intent.SEND_MESSAGE, "不对，发到阿波罗项目群", recipient=known(APOLLO), correction=True),
    said(Intent.SEND_MESSAGE, "发消息"),
    said(Intent.REPLY_MESSAGE, "回复说在路上", body="在路上"),
    said(Intent.READ_MESSAGES, "读消息"),
    said(Intent.QUERY_CALENDAR, "今天有什么安排"),
    said(Intent.CREATE_EVENT, "现在开周会", title="周会", start=NOW),
    said(Intent.CANCEL_EVENT, "取消周会", title="周会"),
    said(Intent.CONFIRM, "是的"),
    said(Intent.CONFIRM, "第二个", choice=1),
    ParseResult("嗯", Intent.CONFIRM, 0.2, {}),
    said(Intent.DENY, "不要"),
    said(Intent.CANCEL, "算了"),
    said(Intent.REPEAT, "再说一遍"),
    said(Intent.NEXT, "下一条"),
    said(Intent.HELP, "帮助"),
    said(Intent.NONE, "放首歌"),
    # A parse that took foreign text for an answer is still never acted on.
    said(Intent.CONFIRM, "네 보내주세요"),
    said(Intent.SEND_MESSAGE, "Отправь Ли На привет", recipient=known(LI_NA), body="привет"),
]

LIKELY = [UTTERANCES[0], UTTERANCES[3], UTTERANCES[11]] * 4

steps = st.sampled_from(
    [
        *UTTERANCES,
        *LIKELY,
        *(Timeout(turn) for turn in range(6)),
        Incoming((message(LI_NA, "中午吃饭吗", mid="i1"),)),
        "answer",
    ]
)


def chinese() -> Driver:
    return Driver(DialogState(policy=Policy(locale="zh")))


@settings(max_examples=300, deadline=None)
@given(st.lists(steps, min_size=2, max_size=25))
@example([UTTERANCES[0], UTTERANCES[11], "answer"])
@example([UTTERANCES[0], UTTERANCES[20], UTTERANCES[11]])
def test_nothing_is_sent_without_a_confident_yes_to_its_chinese_read_back(script: list) -> None:
    d = chinese()
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
                assert item.text in ("是的", "第二个")
                assert before.waiting == "confirm"
                spoken = before.last_spoken
                assert f"{action.message.recipient_name}：{action.message.body}" in spoken
                assert spoken.endswith("发送吗？")
                assert action.message.recipient_name in ("李娜", "阿波罗项目", "李伟", "李薇")
            if isinstance(action, CreateEvent | CancelEvent):
                assert isinstance(item, ParseResult)
                assert item.intent is Intent.CONFIRM
                assert before.waiting == "confirm"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(UTTERANCES), max_size=10), st.sampled_from(UTTERANCES[-3:]))
def test_out_of_domain_or_foreign_input_never_writes(
    prefix: list[ParseResult], last: ParseResult
) -> None:
    d = chinese()
    for result in prefix:
        d.say(result)
    before = len(d.actions)
    d.event(Utterance(last, "x"))
    writes = [
        a for a in d.actions[before:] if isinstance(a, SendMessage | CreateEvent | CancelEvent)
    ]
    assert writes == []
