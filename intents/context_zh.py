"""Which choice a Chinese answer picks: "第二个", "最后一个", "销售部的那个", "财务部的李薇".

The counterpart of :func:`intents.context.pick_choice` for character tokens.
An ordinal picks by position; otherwise the answer's content characters (its
frame -- 的, 那个, 是, 选 -- left out) are compared with each choice, and a
choice written in English ("Li Wei, Sales") also carries its Chinese
department words (``choice_aliases`` in ``speech.yaml``: 销售 for sales), so
"销售部的那个" picks it whichever language the dialog listed the choices in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from intents.context import decisive
from intents.text import Tokens, tokenize_cjk
from intents.timeparse_zh import NUM, number

_ORDINAL = re.compile(rf"^(?:我?(?:要|选|选择)?)?第?(?P<n>{NUM})(?:个|位|号|项)?(?:吧|的)?$")
_WRITTEN_ORDINAL = re.compile(rf"第(?P<n>{NUM})(?:个|位|号|项)?")
_LAST = re.compile(r"(?:最后|最后面|后面|下面)(?:的)?(?:一个|那个|那位|一位|这个)")
_FIRST = re.compile(r"(?:前面|上面|头)(?:的)?(?:一个|那个|那位|一位|这个)")
#: The share of the answer's content a choice must contain, and its lead.
CHOICE_CUTOFF = 0.6
CHOICE_MARGIN = 0.2


def pick_choice_zh(
    tokens: Tokens,
    choices: Sequence[str],
    stop: frozenset[str],
    aliases: Mapping[str, str],
) -> int | None:
    """Index of the choice the answer picks, or None (then it is parsed as usual)."""
    if not choices or not tokens.words:
        return None
    text = "".join(tokens.words)
    ordinal = _ordinal(text)
    if ordinal is not None:
        index = len(choices) - 1 if ordinal == -1 else ordinal - 1
        return index if 0 <= index < len(choices) else None
    variants = [_variant(choice, aliases) for choice in choices]
    # Only what tells the choices apart counts: "财务的李伟" against choices
    # written in English ("Li Wei, Finance") is decided by 财务.
    content = {w for w in tokens.words if w not in stop} & frozenset().union(*variants)
    if not content:
        return None
    scores = [_overlap(content, variant) for variant in variants]
    return decisive(scores, CHOICE_CUTOFF, CHOICE_MARGIN)


def _ordinal(text: str) -> int | None:
    if _LAST.search(text) and len(text) <= 6:
        return -1
    if _FIRST.search(text) and len(text) <= 6:
        return 1
    whole = _ORDINAL.match(text)
    found = whole or (_WRITTEN_ORDINAL.search(text) if len(text) <= 8 else None)
    if found is None:
        return None
    value = number(found.group("n"))
    return int(value) if value is not None and value.is_integer() else None


def _variant(choice: str, aliases: Mapping[str, str]) -> frozenset[str]:
    """The tokens of a choice, with the Chinese words of any English department in it."""
    lowered = choice.lower()
    extra = " ".join(
        zh for en, zh in aliases.items() if re.search(rf"\b{re.escape(en)}\b", lowered)
    )
    extra += " " + " ".join(en for en, zh in aliases.items() if zh in choice)
    return frozenset(tokenize_cjk(f"{lowered} {extra}").words)


def _overlap(content: set[str], variant: frozenset[str]) -> float:
    return len(content & variant) / len(content)
