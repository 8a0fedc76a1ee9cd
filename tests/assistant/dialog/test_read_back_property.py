"""No dialog path sends what its read-back did not say (hypothesis, real runner and store).

Random conversations -- commands, answers, corrections, read-back edits,
cancels, new commands at prompts, several recipients, silences -- are typed
into a real session (the real parser and dialog runner, the outbox and the
local SQLite store of the demo organisation), in English and in Mandarin.
After every turn, whatever reached the store is compared with the last
read-back the driver heard before that turn: every message goes to a
person that read-back named (as named: "Li Wei in Finance" is that Li
Wei) with exactly its body and urgency, one message per named recipient,
and nothing reaches the store at a turn that follows no read-back.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.compose import Session, contacts_of, directory_for, open_conversation
from assistant.config import Settings
from assistant.dialog.contacts import spoken_choice
from assistant.dialog.locale import speaking
from assistant.dialog.names import display_name
from assistant.dialog.sink import ShownAndSpoken
from assistant.locales import Locale
from assistant.models import Contact
from tests.assistant.dialog.readback import ReadBack, read_back_in
from tests.assistant.dialog.test_scripts import FakeClock, Transcript, sent_since
from tests.conftest import NOW, ZONE

ENGLISH = [
    "send a message to li na saying see you at four",
    "send a message to li na and xu jing saying the trucks are loaded",
    "tell li wei i am late",
    "tell li wei and zhang san the budget is approved",
    "send a message to lee way saying the trucks are at gate 3",
    "tell li wei in finance the invoice is paid",
    "send the same message to xu jing",
    "send an urgent message to he jun saying call me",
    "send a message to bob saying hi",
    "send a message to li na and bob saying the gate is open",
    "send a message",
    "reply on my way",
    "read my messages",
    "do i have any urgent messages",
    "what's on my calendar tomorrow",
    "no, to zhang san",
    "no, to li na and he jun",
    "change the message to see you at five",
    "make it urgent",
    "add that i am bringing the contracts",
    "also say thanks",
    "li na",
    "sales",
    "the second one",
    "see you at five",
    "no",
    "cancel",
    "repeat",
    "help",
    "um",
    "next",
]
MANDARIN = [
    "给李娜发消息说我四点到",
    "给李娜和徐静发消息说货已经装好了",
    "给李伟发消息说我晚点到",
    "给李伟和张三发消息说预算批了",
    "给Lee Way发消息说车到三号门了",
    "给财务部的李薇发消息说发票付了",
    "也发给徐静",
    "给何军发一条紧急消息说给我回电话",
    "给王小明发消息说你好",
    "给李娜和王小明发消息说大门开了",
    "发个消息",
    "回复他说马上到",
    "读一下我的消息",
    "有没有紧急消息",
    "明天有什么安排",
    "不对，发给张三",
    "不对，发给李娜和何军",
    "把内容改成我五点到",
    "标成紧急",
    "再加一句我会带合同",
    "加上谢谢",
    "李娜",
    "销售部的那个",
    "第二个",
    "我五点到",
    "不",
    "取消",
    "再说一遍",
    "帮助",
    "嗯",
    "下一条",
]
YES = {"en": ["yes", "yeah", "send it"], "zh": ["是的", "对", "发吧"]}


def turns(locale: Locale) -> st.SearchStrategy[list[Any]]:
    """Random conversations: utterances, "yes" often (so paths reach a send), silences."""
    said = st.sampled_from(ENGLISH if locale == "en" else MANDARIN)
    yes = st.sampled_from(YES[locale])
    wait = st.just({"wait": 11})
    return st.lists(st.one_of(said, said, yes, wait), min_size=2, max_size=14)


async def _open(data_dir: Path, locale: Locale, clock: FakeClock, transcript: Transcript) -> Any:
    settings = Settings(
        data_dir=data_dir,
        backend="local",
        locale=locale,
        connectors={"local": {"seed_demo": True}},
    )
    speech = ShownAndSpoken(transcript.say)
    return await open_conversation(settings, zone=ZONE, clock=clock, speech=speech)


def _spoken_as(contact: Contact, locale: Locale) -> set[str]:
    """How a read-back may name ``contact``: by name, or with what tells them apart."""
    with speaking(locale):
        return {display_name(contact), spoken_choice(contact)}


def check_sends(
    new: list[dict[str, Any]], heard: ReadBack | None, people: dict[str, Contact], locale: Locale
) -> None:
    """Everything that reached the store at one turn is what the last read-back said."""
    if not new:
        return
    assert heard is not None, f"sent {new} with no read-back before"
    assert len(new) == len(heard.names), f"sent {new}, read back {heard}"
    named = list(heard.names)
    for message in new:
        contact = people[message["conversation"].removeprefix("dm-")]
        matches = [n for n in named if n in _spoken_as(contact, locale)]
        assert matches, f"sent to {contact.name}, read back {heard.names}"
        named.remove(matches[0])
        assert message["body"] in (heard.body, heard.body[:-1]), (message, heard)
        assert message["urgent"] == heard.urgent, (message, heard)


async def converse(locale: Locale, script: list[Any]) -> None:
    """Play ``script`` through a fresh session, checking every turn."""
    clock, transcript = FakeClock(), Transcript()
    with tempfile.TemporaryDirectory() as tmp:
        session: Session = await _open(Path(tmp), locale, clock, transcript)
        try:
            directory = directory_for(Settings(), session.connector)
            people = {c.id: c for c in await contacts_of(directory)}
            heard: ReadBack | None = None
            seen = 0
            for turn in script:
                if isinstance(turn, dict):
                    clock.now += timedelta(seconds=turn["wait"])
                    await session.runner.tick()
                else:
                    clock.now += timedelta(seconds=1)
                    await session.runner.hear(turn)
                sent = sent_since(session, NOW)
                check_sends(sent[seen:], heard, people, locale)
                seen = len(sent)
                for line in transcript.take():
                    heard = read_back_in(line) or heard
                if session.runner.state.waiting != "confirm":
                    heard = None  # no read-back is waiting for its "yes"
        finally:
            await session.aclose()


_SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(turns("en"))
@example(["tell li wei and zhang san the budget is approved", "sales", "make it urgent", "yes"])
@example(["send a message to li na saying hi", "no, to li na and he jun", "also say thanks", "yes"])
@example(["send a message to li na saying hi", "yes", "send the same message to xu jing", "yes"])
def test_english_sends_only_what_was_read_back(script: list[Any]) -> None:
    asyncio.run(converse("en", script))


@_SETTINGS
@given(turns("zh"))
@example(["给李伟和张三发消息说预算批了", "第二个", "标成紧急", "是的"])
@example(["给李娜发消息说你好", "不对，发给李娜和何军", "加上谢谢", "是的"])
@example(["给李娜发消息说你好", "是的", "也发给徐静", "是的"])
def test_mandarin_sends_only_what_was_read_back(script: list[Any]) -> None:
    asyncio.run(converse("zh", script))
