"""Words for Mandarin-speaking drivers: times, days, durations and counts the Chinese way.

The same functions as :mod:`assistant.dialog.speech`, which hands over to
these while the dialog speaks ``zh``: "明天下午三点半", "一个半小时",
"三条新消息", phone numbers digit by digit with 幺 for 1. Numbers are
written in characters (cn2an) because a Chinese voice reads "138" as a
hundred and thirty-eight, and "3点" is not how anyone speaks.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import cn2an

from assistant.dialog.prompts import part_of_day, word
from assistant.locales import is_cjk

_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
#: Digits read one by one (telephone style: 1 is 幺 so it is not heard as 7).
_DIGITS = dict(zip("0123456789", "零幺二三四五六七八九", strict=True))
_SENTENCE_END = re.compile(r"[。！？；!?;]|\.(?=\s|$)")
_PAUSES = "，,、：: "


def number(n: int) -> str:
    """A number in characters: 3 -> 三, 25 -> 二十五 (digits past ten thousand)."""
    if 0 <= n < 10_000:
        return str(cn2an.an2cn(n))
    return str(n)


def _counted(n: int) -> str:
    """A number before a measure word: 两 for 2 (两条, 两个), 二 inside 十二."""
    return "两" if n == 2 else number(n)


def tally(n: int) -> str:
    """A number said on its own before a measure word ("还有两个")."""
    return _counted(n)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``count(3, "new message")`` -> "三条新消息" (measure word and noun from the catalogue)."""
    del plural  # Chinese nouns have no plural
    return f"{_counted(n)}{word('nouns', noun)}"


def clock(dt: datetime) -> str:
    """The time of day: "下午三点半", "上午九点一刻", "中午十二点", "午夜十二点"."""
    if dt.hour == 0 and dt.minute == 0:
        return "午夜十二点"
    hour = dt.hour % 12 or 12
    return f"{part_of_day(dt.hour, 'clock', 'zh')}{_counted(hour)}点{_minutes(dt.minute)}"


def _minutes(minute: int) -> str:
    if minute == 0:
        return ""
    if minute == 30:
        return "半"
    if minute == 15:
        return "一刻"
    if minute < 10:
        return f"零{number(minute)}"
    return number(minute)


def day(dt: datetime, now: datetime) -> str:
    """The day relative to ``now``: "今天", "明天", "后天", "周五", "下周一", "十二月八号，周二"."""
    local = dt.astimezone(now.tzinfo)
    delta = (local.date() - now.date()).days
    named = {0: "今天", 1: "明天", 2: "后天", -1: "昨天"}
    if delta in named:
        return named[delta]
    weekday = _WEEKDAYS[local.weekday()]
    if 1 < delta < 7:
        same_week = local.isocalendar()[:2] == now.isocalendar()[:2]
        return weekday if same_week else f"下{weekday}"
    return f"{number(local.month)}月{number(local.day)}号，{weekday}"


def at_time(dt: datetime, now: datetime) -> str:
    """A moment as a driver hears it: "明天下午三点"."""
    local = dt.astimezone(now.tzinfo)
    return f"{day(local, now)}{clock(local)}"


def moment(dt: datetime, now: datetime) -> str:
    """A moment without a leading preposition (the same words in Chinese)."""
    return at_time(dt, now)


def duration(minutes: int) -> str:
    """ "三十分钟", "一个小时", "一个半小时", "两个小时十五分钟"."""
    hours, mins = divmod(max(minutes, 0), 60)
    if hours == 0:
        return f"{number(mins)}分钟"
    if mins == 30:
        return f"{_counted(hours)}个半小时"
    head = f"{_counted(hours)}个小时"
    return head if mins == 0 else f"{head}{number(mins)}分钟"


def period(start: datetime, end: datetime, now: datetime) -> str:
    """A time range as a phrase: "明天", "今天下午", "今晚", "周五上午"."""
    local_start = start.astimezone(now.tzinfo)
    hours = (end - start) / timedelta(hours=1)
    when = day(local_start, now)
    if hours > 24 + 1:
        return "这段时间"
    if hours >= 20:
        return when
    hour = local_start.hour
    if hour >= 18 and when == "今天":
        return "今晚"
    return f"{when}{part_of_day(hour, 'period', 'zh')}"


#: Seconds of speech per Chinese character over seconds per English character:
#: a character is a syllable (~4.5 a second), English runs at ~14 characters a second.
_CHARS_PER_ENGLISH = 0.3


def spoken_limit(chars: int, text: str) -> int:
    """The same time of speech as ``chars`` English characters: 220 -> 66 Chinese characters.

    A message mostly in Latin letters (an English one read in a Chinese
    session) is measured as English.
    """
    letters = [ch for ch in text if ch.isalpha()]
    chinese = sum(1 for ch in letters if is_cjk(ch))
    if chinese * 2 <= len(letters):
        return chars
    return max(round(chars * _CHARS_PER_ENGLISH), 20)


def split_for_speech(text: str, limit: int) -> tuple[str, str]:
    """Cut ``text`` into a spoken head of at most ``limit`` characters and the rest.

    Chinese has no spaces between words: prefer the last sentence end
    inside the limit, then the last pause (comma, enumeration comma, space).
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text, ""
    window = text[: limit + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() >= limit // 3]
    if ends:
        return text[: ends[-1]].rstrip(), text[ends[-1] :].lstrip()
    cut = max(window.rfind(ch) for ch in _PAUSES)
    cut = cut + 1 if cut > 0 else limit
    return text[:cut].rstrip(_PAUSES) + "……", text[cut:].lstrip()


def join_names(names: list[str] | tuple[str, ...]) -> str:
    """ "李娜", "李娜和张三", "李娜、张三和王芳"."""
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return "、".join(items[:-1]) + "和" + items[-1]


def alternatives(options: list[str] | tuple[str, ...]) -> str:
    """A choice between options: "销售部的李伟，还是财务部的李薇"."""
    return "，还是".join(options)


def each_or(options: list[str] | tuple[str, ...]) -> str:
    """The same as :func:`alternatives` in Chinese."""
    return alternatives(options)


def spoken_phone(number_text: str) -> str:
    """ "+86 138 0013 8000" -> "加八六，幺三八，零零幺三，八零零零"."""
    groups = []
    for chunk in number_text.replace("-", " ").split():
        digits = "".join(_DIGITS[ch] for ch in chunk if ch in _DIGITS)
        if digits:
            groups.append(("加" if chunk.startswith("+") else "") + digits)
    return "，".join(groups)


def spoken_email(address: str) -> str:
    """ "li.na@example.com" -> "li点na艾特example点com" (how it is said aloud in China)."""
    return address.replace("@", "艾特").replace(".", "点")
