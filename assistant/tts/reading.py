"""How a reply is read aloud: runs of one script each, Chinese as tone-numbered pinyin.

espeak-ng's Mandarin voice ``cmn`` reads characters through its own
dictionary and gets common syllables wrong (给 comes out as English "gei
three"); its ``cmn-latn-pinyin`` voice reads tone-numbered pinyin
correctly, and pypinyin gives that pinyin from the characters with the
right reading of polyphones in context (银行 yin2 hang2) and the tone
changes of 一, 不 and third tones (BENCHMARKS.md, "Mandarin speech out").
Neither Mandarin voice can read an English word (meeting, Wilson), and
the English voices call every character "Chinese letter", so a reply is
cut into runs of one script: Chinese characters for the Mandarin voice,
Latin words for an English voice, each run spoken by its own.

In a Chinese reply, numbers are written out in characters first (3点 is
三点, 2个 is 两个, 15:30 is 十五点三十分, 2026年 is 二零二六年, a phone
number 13800138000 is read digit by digit with 幺 for 1) so they are read
the Chinese way, inside the Chinese run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.scripts import is_han

Script = Literal["han", "latin"]

#: Chinese punctuation as the pinyin voice (and espeak's pauses) understand it.
_PUNCTUATION = str.maketrans(
    {
        "，": ", ",
        "、": ", ",
        "；": "; ",
        "：": ": ",
        "。": ". ",
        "！": "! ",
        "？": "? ",
        "…": "... ",
        "（": " ",
        "）": " ",
        "“": " ",
        "”": " ",
        "‘": " ",
        "’": " ",
        "《": " ",
        "》": " ",
        "「": " ",
        "」": " ",
        "—": ", ",
        "～": " ",
    }
)
#: Words counted with 两 rather than 二 (两个, 两点, 两位 ...).
_MEASURES = "个点位天次条封件场小分周年岁本张"
_DIGITS_1 = "零幺二三四五六七八九"  # phone numbers: 1 is read 幺 (yao)
_DIGITS = "零一二三四五六七八九"
_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3])[:：]([0-5]\d)(?!\d)")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?=年)")
_LONG = re.compile(r"(?<![\d.])(\d{5,}|0\d{2,})(?![\d.])")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)[%％]")
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of a reply in one script: what its voice is given to say."""

    text: str
    script: Script


def chinese_numbers(text: str) -> str:
    """Arabic numerals in ``text`` written out the way a Mandarin speaker reads them."""
    import cn2an  # a third of a second to import: only for Chinese replies

    text = _TIME.sub(lambda m: _clock(int(m.group(1)), int(m.group(2))), text)
    text = _YEAR.sub(lambda m: "".join(_DIGITS[int(d)] for d in m.group(1)), text)
    text = _LONG.sub(lambda m: "".join(_DIGITS_1[int(d)] for d in m.group(1)), text)
    text = _PERCENT.sub(lambda m: "百分之" + str(cn2an.an2cn(m.group(1))), text)

    def number(match: re.Match[str]) -> str:
        written = str(cn2an.an2cn(match.group(0)))
        following = text[match.end() : match.end() + 1]
        return "两" if written == "二" and following and following in _MEASURES else written

    return _NUMBER.sub(number, text)


def _clock(hour: int, minute: int) -> str:
    import cn2an

    said = ("两" if hour == 2 else str(cn2an.an2cn(hour))) + "点"
    if minute == 30:
        return said + "半"
    if minute:
        return said + ("零" if minute < 10 else "") + str(cn2an.an2cn(minute)) + "分"
    return said


def split_runs(text: str) -> list[Run]:
    """``text`` cut into runs of Chinese characters and of everything else.

    Spaces and punctuation stay with the run they follow (a sentence's full
    stop ends its run), Chinese punctuation written the ASCII way (espeak
    pauses at it); a run with no word in it is dropped.
    """
    runs: list[list[str]] = []  # [script, text]
    for char in text:
        script = _script_of(char)
        if script is None:
            if runs:
                runs[-1][1] += char
            else:
                runs.append(["latin", char])
        elif runs and runs[-1][0] == script:
            runs[-1][1] += char
        elif runs and runs[-1][0] == "latin" and not _has_words(runs[-1][1]):
            runs[-1] = [script, runs[-1][1] + char]  # leading punctuation joins the first run
        else:
            runs.append([script, char])
    return [
        Run(" ".join(body.translate(_PUNCTUATION).split()), "han" if kind == "han" else "latin")
        for kind, body in runs
        if _has_words(body)
    ]


def _script_of(char: str) -> Script | None:
    if is_han(char):
        return "han"
    if char.isalnum():
        return "latin"
    return None


def _has_words(text: str) -> bool:
    return any(c.isalnum() for c in text)  # Chinese characters are alphanumeric too


def to_pinyin(text: str) -> str:
    """Chinese ``text`` as tone-numbered pinyin for espeak-ng's ``cmn-latn-pinyin`` voice."""
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, tone_sandhi=True)
    spoken = " ".join(s.translate(_PUNCTUATION) for s in syllables)
    spoken = re.sub(r"\s+([,.;:!?])", r"\1", spoken)  # a mark hugs the syllable before it
    return " ".join(spoken.split())


def reading(text: str, locale: str, *, pinyin: bool = True) -> tuple[Run, ...]:
    """What each voice says for ``text`` in a conversation in ``locale``.

    Chinese runs become pinyin when ``pinyin`` (the Mandarin voice reads
    pinyin); with ``pinyin=False`` they stay characters, for a voice that
    reads them itself.
    """
    if locale == "zh":
        text = chinese_numbers(text)
    runs = split_runs(" ".join(text.split()))
    if not pinyin:
        return tuple(runs)
    return tuple(Run(to_pinyin(r.text), "han") if r.script == "han" else r for r in runs)
