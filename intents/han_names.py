"""Words said around a name in Chinese: departments, titles, particles.

A Mandarin speaker qualifies a name by department before or after it
(销售部的李伟, 李伟销售部的, 财务的李薇, 市场部那个李伟), calls a colleague by
surname and title (李总, 王经理) or familiarly (老王, 小林), and names a group
chat with 群 after it. The words are data (``hanzi`` in
``intents/grammar/zh/phonetics.yaml``); :mod:`intents.contacts` uses this to
find the name and the department terms to match a directory written in
English (Sales) or in Chinese (销售部).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from intents.phonetics import has_han
from intents.text import fold


class HanQualifiers:
    """Departments spoken in Chinese around a name: 销售部的李伟, 李伟销售部的, 财务的李薇."""

    def __init__(self, data: Mapping[str, Any], departments: Iterable[str]) -> None:
        self._english = {fold(str(k)): str(v) for k, v in (data.get("departments") or {}).items()}
        self._chinese: dict[str, tuple[str, ...]] = {}
        for chinese, english in self._english.items():
            self._chinese[english] = (*self._chinese.get(english, ()), chinese)
        suffixes = sorted(data.get("department_suffixes") or (), key=len, reverse=True)
        written = {d for d in departments if has_han(d)}
        for department in list(written):  # 销售部 in the directory: 销售 is said too
            for suffix in suffixes:
                if department.endswith(suffix) and len(department) > len(suffix):
                    written.add(department[: -len(suffix)])
        self._directory = frozenset(written)
        words = set(self._english) | written
        names = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) or "(?!)"
        tails = "|".join(re.escape(s) for s in suffixes) or "(?!)"
        glue = "|".join(
            re.escape(p) for p in sorted(data.get("particles") or (), key=len, reverse=True)
        )
        glue = glue or "(?!)"
        self._before = re.compile(rf"^(?P<dept>{names})(?:{tails})?(?:{glue})?(?P<name>.+)$")
        self._after = re.compile(rf"^(?P<name>.+?)(?:{glue})?(?P<dept>{names})(?:{tails})?的?$")
        self._prefixes = tuple(sorted(data.get("prefixes") or (), key=len, reverse=True))
        self._groups = tuple(sorted(data.get("group_suffixes") or (), key=len, reverse=True))
        self._titles = tuple(sorted(data.get("titles") or (), key=len, reverse=True))
        self._familiar = tuple(data.get("familiar") or ())
        self._suffixes = tuple(suffixes)
        self._usable = bool(words)

    def clean(self, text: str) -> str:
        """The name without words around it that are not part of it (那个, 群, 的)."""
        for prefix in self._prefixes:
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix) :]
                break
        if text.endswith("的") and len(text) > 2 and not self._after.match(text):
            text = text[:-1]  # 李伟的 (电话): the name's, not a department after it
        for suffix in self._groups:
            if text.endswith(suffix) and len(text) > len(suffix):
                return text[: -len(suffix)]
        return text

    def surname_of(self, name: str) -> str:
        """The surname in 李总 / 王经理 / 老王 / 小林 (a title or a familiar prefix
        around it); the name itself otherwise."""
        for title in self._titles:
            if name.endswith(title) and 1 <= len(name) - len(title) <= 2:
                return name[: -len(title)]
        for familiar in self._familiar:
            if name.startswith(familiar) and len(name) == len(familiar) + 1:
                return name[len(familiar) :]
        return name

    def terms(self, department: str) -> tuple[str, ...]:
        """A department as said, and in the words an English directory uses."""
        english = self._english.get(department)
        for suffix in self._suffixes:
            if english is None and department.endswith(suffix):
                english = self._english.get(department[: -len(suffix)])
        if english is None and department in self._chinese:  # "sales": 销售部 in the directory
            english = department
        if english is None:
            return (department,)
        return tuple(dict.fromkeys((department, english, *self._chinese.get(english, ()))))

    def names_department(self, words: str) -> bool:
        """Whether English words name a department the directory writes in Chinese."""
        return words in self._chinese and any(w in self._directory for w in self._chinese[words])

    def split(self, text: str) -> tuple[str, tuple[str, ...]] | None:
        """(name, department terms) when a department is said around the name."""
        if not self._usable:
            return None
        for pattern in (self._before, self._after):
            found = pattern.match(text)
            if found and has_han(found["name"]):
                return found["name"], self.terms(found["dept"])
        return None
