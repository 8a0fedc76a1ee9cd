"""The pure engine speaking Mandarin (``Policy.locale = "zh"``), with hand-built parses.

Specification: the same flows and repairs as in English, said the way a
Chinese driver expects: colleagues by their names in characters, departments
in Chinese, times, durations and counts in Chinese words, phone numbers digit
by digit with 幺, and no English where none is expected. The parser is not
involved here (see the conversation scripts for that).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from assistant.dialog.actions import CreateEvent, FetchEvents, FetchUnread, SendMessage
from assistant.dialog.events import Done, Fetched, Incoming, Timeout
from assistant.dialog.names import NameBook
from assistant.dialog.state import DialogState, Policy
from assistant.models import CalendarEvent, Contact, Intent, SendReceipt
from intents.result import Expect
from tests.assistant.dialog.helpers import NOW, Driver, ambiguous, known, message, said, unknown

LI_NA = Contact(
    "u-li-na", "Li Na", department="Marketing", phone="+86 138 0000 0105", aliases=("Nina", "李娜")
)
XU_JING = Contact("u-xu-jing", "Xu Jing", department="Marketing", aliases=("Jenny", "徐静"))
LI_WEI_SALES = Contact(
    "u-li-wei-sales",
    "Li Wei",
    department="Sales",
    title="Account Manager",
    phone="+86 138 0000 0101",
    aliases=("李伟",),
)
LI_WEI_FINANCE = Contact("u-li-wei-finance", "Li Wei", department="Finance", aliases=("李薇",))
DAVID_MILLER = Contact("u-david-miller", "David Miller", department="Sales")
ZHANG_SAN = Contact("u-zhang-san", "Zhang San", department="Operations", aliases=("张三",))
APOLLO = Contact("g-project-apollo", "Project Apollo", kind="group", aliases=("阿波罗项目",))

BOOK = NameBook.build([LI_NA, XU_JING, LI_WEI_SALES, LI_WEI_FINANCE, ZHANG_SAN, APOLLO], "zh")
BODY = "我十分钟后到"
LATIN = re.compile(r"[A-Za-z]")


def chinese() -> Driver:
    return Driver(DialogState(policy=Policy(locale="zh")))


def sends(driver: Driver) -> list[SendMessage]:
    return [a for a in driver.actions if isinstance(a, SendMessage)]


def test_send_reads_back_recipient_and_body_and_sends_only_after_yes() -> None:
    d = chinese()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    assert d.spoken(out) == "发给李娜：我十分钟后到。发送吗？"
    assert d.listen(out).context.expect is Expect.YES_NO
    assert {"是的", "取消"} <= set(d.listen(out).vocabulary)
    assert sends(d) == []
    d.say(said(Intent.CONFIRM, "发吧"))
    (send,) = sends(d)
    assert (send.message.recipient_id, send.message.recipient_name) == (LI_NA.id, "李娜")
    assert send.message.body == BODY
    out = d.event(Done(send.request, receipt=SendReceipt("m9", "dm-u-li-na", NOW)))
    assert d.spoken(out) == "已发给李娜。"


def test_piece_by_piece_in_chinese() -> None:
    d = chinese()
    assert d.spoken(d.say(said(Intent.SEND_MESSAGE))) == "发给谁？"
    assert d.spoken(d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA)))) == "要给李娜发什么？"
    out = d.say(said(Intent.SEND_MESSAGE, body="路上堵车了！"))
    assert d.spoken(out) == "发给李娜：路上堵车了！发送吗？"


def test_urgent_message_is_read_back_and_reported_as_urgent() -> None:
    d = chinese()
    out = d.say(
        said(Intent.SEND_MESSAGE, recipient=known(ZHANG_SAN), body="马上回电话", urgent=True)
    )
    assert d.spoken(out) == "加急发给张三：马上回电话。发送吗？"
    d.say(said(Intent.CONFIRM))
    (send,) = sends(d)
    out = d.event(Done(send.request, receipt=SendReceipt("m9", "dm-u-zhang-san", NOW)))
    assert d.spoken(out) == "已加急发给张三。"


def test_a_colleague_without_a_chinese_name_keeps_their_name() -> None:
    d = chinese()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=known(DAVID_MILLER), body="好的"))
    assert d.spoken(out) == "发给David Miller：好的。发送吗？"


def test_corrections_at_the_read_back_change_recipient_then_body() -> None:
    d = chinese()
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    out = d.say(said(Intent.SEND_MESSAGE, "不对，发给徐静", recipient=known(XU_JING)))
    assert d.spoken(out) == "发给徐静：我十分钟后到。发送吗？"
    out = d.say(said(Intent.SEND_MESSAGE, "把内容改成我二十分钟后到", body="我二十分钟后到"))
    assert d.spoken(out) == "发给徐静：我二十分钟后到。发送吗？"
    assert sends(d) == []


def test_no_at_the_read_back_asks_for_new_words_and_cancel_sends_nothing() -> None:
    d = chinese()
    d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    out = d.say(said(Intent.DENY, "不要"))
    assert d.spoken(out) == "好的，先不发。消息要改成什么？也可以说取消。"
    out = d.say(said(Intent.CANCEL, "算了"))
    assert d.spoken(out) == "好的，已取消，什么都没发。"
    assert sends(d) == []


def test_namesakes_are_offered_by_department_in_chinese() -> None:
    d = chinese()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=ambiguous(LI_WEI_SALES, LI_WEI_FINANCE)))
    assert d.spoken(out) == "销售部的李伟，还是财务部的李薇？"
    window = d.listen(out)
    assert window.context.expect is Expect.CHOICE
    assert window.context.choices == ("李伟, 销售部", "李薇, 财务部")
    assert {"销售部的那个", "第二个"} <= set(window.vocabulary)
    out = d.say(said(Intent.CONFIRM, "第二个", choice=1))
    assert d.spoken(out) == "要给财务部的李薇发什么？"  # chosen between namesakes: said so


def test_a_doubted_name_with_one_candidate_is_asked_in_chinese() -> None:
    d = chinese()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=ambiguous(LI_WEI_FINANCE)))
    assert d.spoken(out) == "您是说财务部的李薇吗？"
    out = d.say(said(Intent.CONFIRM, "对", choice=0))
    assert d.spoken(out) == "要给财务部的李薇发什么？"


def test_a_group_is_named_in_chinese_where_known() -> None:
    d = chinese()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=ambiguous(APOLLO, ZHANG_SAN)))
    assert d.spoken(out) == "阿波罗项目群，还是运营部的张三？"


def test_unknown_names_and_relations() -> None:
    d = chinese()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=unknown("王小明"), body="你好"))
    assert d.spoken(out).startswith("通讯录里没有叫王小明的人。发给谁？")
    d = chinese()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=unknown("我老婆"), body="你好"))
    assert d.spoken(out).startswith("通讯录里找不到你的老婆。")


def test_contact_fields_in_chinese_with_the_phone_digit_by_digit() -> None:
    d = chinese()
    out = d.say(said(Intent.QUERY_CONTACT, contact=known(LI_WEI_SALES), field="phone"))
    assert d.spoken(out) == "李伟的电话是加八六，幺三八，零零零零，零幺零幺。"
    out = d.say(said(Intent.QUERY_CONTACT, contact=known(LI_WEI_SALES), field="department"))
    assert d.spoken(out) == "李伟在销售部。"
    out = d.say(said(Intent.QUERY_CONTACT, contact=known(LI_WEI_SALES), field="title"))
    assert d.spoken(out) == "李伟是客户经理。"
    unknown_title = Contact("u-x", "Ma Li", title="Chief Dreamer", aliases=("马丽",))
    out = d.say(said(Intent.QUERY_CONTACT, contact=known(unknown_title), field="title"))
    assert d.spoken(out) == "马丽是Chief Dreamer。"  # a title the catalogue lacks: as written
    out = d.say(said(Intent.QUERY_CONTACT, contact=known(LI_NA), field="email"))
    assert d.spoken(out) == "没有李娜的邮箱。"
    out = d.say(said(Intent.QUERY_CONTACT, contact=known(LI_WEI_SALES)))
    assert d.spoken(out) == ("李伟，销售部的客户经理。电话：加八六，幺三八，零零零零，零幺零幺。")


def test_reading_counts_names_and_groups_in_chinese() -> None:
    d = chinese()
    out = d.say(said(Intent.READ_MESSAGES, "读消息"))
    (fetch,) = [a for a in out if isinstance(a, FetchUnread)]
    li_na = message(LI_NA, "我到了", minutes_ago=30, mid="m1")
    group = message(ZHANG_SAN, "车坏了", conversation=APOLLO, mid="m2", minutes_ago=5, urgent=True)
    assert (li_na.sender_name, group.conversation_name) == ("Li Na", "Project Apollo")
    # The runner names senders and groups in Chinese before the engine sees them.
    out = d.event(Fetched(fetch.request, messages=BOOK.messages((li_na, group))))
    assert d.spoken(out) == (
        "你有两条未读消息。紧急。张三在阿波罗项目里说：车坏了 "
        "还有一条消息。下一条、重听、回复，还是停下？"
    )
    out = d.say(said(Intent.NEXT, "下一条"))
    assert d.spoken(out) == "李娜说：我到了 消息都读完了。"


def test_a_long_chinese_message_is_cut_at_a_sentence_and_the_rest_offered() -> None:
    d = chinese()
    out = d.say(said(Intent.READ_MESSAGES, "读消息"))
    (fetch,) = [a for a in out if isinstance(a, FetchUnread)]
    first = "客户刚才来电话说明天的演示要提前到上午九点，请你把设备和资料今晚准备好。"
    second = "另外合同的第三页还需要法务部再看一遍，下午之前给我回个话，谢谢。"
    long = message(LI_NA, first + second + "路上注意安全，到了给我发消息。", mid="m1")
    out = d.event(Fetched(fetch.request, messages=BOOK.messages((long,))))
    assert d.spoken(out) == f"你有一条未读消息。李娜说：{first}消息还没完，要听剩下的吗？"
    out = d.say(said(Intent.CONFIRM, "好"))
    assert d.spoken(out).startswith(second)


def test_announcements_count_in_chinese() -> None:
    d = chinese()
    burst = tuple(
        message(ZHANG_SAN, f"第{i}条", conversation=APOLLO, mid=f"m{i}", minutes_ago=5 - i)
        for i in range(3)
    )
    out = d.event(Incoming(BOOK.messages(burst)))
    assert d.spoken(out) == "阿波罗项目有三条新消息。要听这些消息吗？"
    out = d.say(said(Intent.DENY, "不用了"))
    assert d.spoken(out) == "好的，待会儿再说。"


def test_creating_a_meeting_reads_it_back_the_chinese_way() -> None:
    d = chinese()
    start = NOW.replace(hour=15, minute=30) + timedelta(days=1)
    out = d.say(
        said(
            Intent.CREATE_EVENT,
            title="预算会",
            start=start,
            duration=90,
            attendees=(known(LI_NA),),
        )
    )
    (fetch,) = [a for a in out if isinstance(a, FetchEvents)]
    half = timedelta(minutes=30)
    clash = CalendarEvent("e1", "周会", start - half, start + half)
    out = d.event(Fetched(fetch.request, events=(clash,)))
    assert d.spoken(out) == (
        "明天下午三点半，预算会，时长一个半小时，参加的有李娜。"
        "注意，和明天下午三点的周会时间冲突。要创建吗？"
    )
    out = d.say(said(Intent.CONFIRM, "可以"))
    (create,) = [a for a in out if isinstance(a, CreateEvent)]
    out = d.event(Done(create.request))
    assert d.spoken(out) == "好了，预算会已经排在明天下午三点半。"


def test_calendar_query_lists_meetings_with_chinese_times() -> None:
    d = chinese()
    tomorrow = NOW.replace(hour=0, minute=0) + timedelta(days=1)
    out = d.say(said(Intent.QUERY_CALENDAR, start=tomorrow, end=tomorrow + timedelta(days=1)))
    (fetch,) = [a for a in out if isinstance(a, FetchEvents)]
    events = (
        CalendarEvent("e1", "周会", tomorrow.replace(hour=9), tomorrow.replace(hour=10)),
        CalendarEvent("e2", "预算会", tomorrow.replace(hour=15), tomorrow.replace(hour=16)),
    )
    out = d.event(Fetched(fetch.request, events=events))
    assert d.spoken(out) == "明天你有两个会：上午九点的周会和下午三点的预算会。"


def test_a_silent_driver_hears_the_draft_was_kept() -> None:
    d = chinese()
    out = d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    out = d.event(Timeout(d.listen(out).turn))
    assert d.spoken(out) == "没听到回答，消息没发。给李娜的草稿帮你留着，说发消息就能接着发。"


@pytest.mark.parametrize(
    ("locale", "answer"),
    [
        ("zh", "抱歉，我只听得懂中文和英文。"),
        ("en", "Sorry, I only understand Chinese and English."),
    ],
)
@pytest.mark.parametrize(
    "text", ["안녕하세요 메시지 보내줘", "Привет, отправь сообщение", "أرسل رسالة"]
)
def test_an_unsupported_language_gets_a_clear_answer_in_the_sessions_language(
    locale: str, answer: str, text: str
) -> None:
    d = Driver(DialogState(policy=Policy(locale=locale)))  # type: ignore[arg-type]
    out = d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA), body=BODY))
    window = d.listen(out)
    # Even a parse that took it for an answer is not acted on.
    out = d.say(said(Intent.CONFIRM, text))
    assert d.spoken(out) == answer
    assert sends(d) == []
    assert d.listen(out).context.expect is window.context.expect  # still waiting for yes/no


def test_help_and_repeat_in_chinese() -> None:
    d = chinese()
    assert d.spoken(d.say(said(Intent.REPEAT, "再说一遍"))) == "我还什么都没说呢。"
    out = d.say(said(Intent.HELP, "我能说什么"))
    assert d.spoken(out) == "你可以说：给李伟发消息、读一下我的消息、明天有什么安排，或者约个会。"
    out = d.say(said(Intent.NONE, "放首歌"))
    assert d.spoken(out) == "抱歉，这个我帮不了。我可以发消息、读消息，还能查日程。"


def test_nothing_chinese_says_is_in_english_or_a_timestamp() -> None:
    d = chinese()
    spoken: list[str] = []
    spoken.append(d.spoken(d.say(said(Intent.SEND_MESSAGE))))
    spoken.append(d.spoken(d.say(said(Intent.SEND_MESSAGE, recipient=known(LI_NA)))))
    spoken.append(d.spoken(d.say(said(Intent.SEND_MESSAGE, body=BODY))))
    spoken.append(d.spoken(d.say(said(Intent.HELP))))
    for line in spoken:
        assert not LATIN.search(line), line
        assert not re.search(r"\d", line), line
