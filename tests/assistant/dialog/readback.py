"""What a read-back said: its recipients and body, read from the spoken sentence.

The safety properties compare every message that leaves with the last
read-back before the confirming "yes"; they read that read-back as a driver
hears it, so a dialog that sends to someone it did not name fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EN = re.compile(
    r"Here's your (?:urgent )?(?:message|reply) to (?P<to>.+?): (?P<body>.*) Send it\?$"
)
_ZH = re.compile(r"(?:加急)?(?:发给|回复)(?P<to>[^：]+)：(?P<body>.*)发送吗？$")
_EN_DETAIL = re.compile(r"^(?P<name>.+?) in (?P<detail>[A-Z][\w ]*)$")
_ZH_DETAIL = re.compile(r"^(?P<detail>.+?)的(?P<name>[^的]+)$")


@dataclass(frozen=True, slots=True)
class ReadBack:
    """Recipients (as said: "Li Wei in Finance") and the body of one read-back."""

    names: tuple[str, ...]
    body: str
    urgent: bool

    def says(self, name: str, body: str) -> bool:
        """Whether this read-back names ``name`` (alone or with a detail) and says ``body``."""
        return body in (self.body, self.body[:-1]) and any(
            _plain(said) == name for said in self.names
        )


def read_back_in(spoken: str) -> ReadBack | None:
    """The read-back at the end of ``spoken`` (English or Chinese), if it ends with one."""
    found = _EN.search(spoken)
    if found is not None:
        names = re.split(r", | and ", found["to"])
        urgent = "your urgent " in spoken
        return ReadBack(tuple(names), found["body"], urgent)
    found = _ZH.search(spoken)
    if found is not None:
        names = re.split(r"、|和", found["to"])
        return ReadBack(tuple(names), found["body"], "加急发给" in spoken)
    return None


def _plain(said: str) -> str:
    """ "Li Wei in Finance" -> "Li Wei"; "财务部的李薇" -> "李薇"."""
    for pattern in (_EN_DETAIL, _ZH_DETAIL):
        found = pattern.match(said)
        if found is not None:
            return found["name"]
    return said
