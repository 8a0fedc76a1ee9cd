"""Sentences sampled from a locale's own grammar, labelled, to train the arbiter.

Each template of an in-domain intent (and of the grammar's out-of-domain
``none`` templates) is expanded at random a few times: optional parts taken or
not, one alternative of each group, rules expanded, ``{recipient}`` a demo
person, ``{body}`` / ``{title}`` a phrase, calendar templates with a time
phrase added. Control words (yes, no, cancel, ...) are left out: they are
answers, not commands. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from typing import Any

from assistant.models import Intent
from intents.arbiter import OUT_OF_DOMAIN
from intents.grammar import GRAMMAR_ROOT, _merge, load_yaml
from intents.template import Alt, Node, RuleRef, Seq, SlotRef, Word, parse_template

#: Grammar intent -> training label (moves are "calendar_set" in every phrasing set).
LABELS = {
    Intent.SEND_MESSAGE: Intent.SEND_MESSAGE.value,
    Intent.REPLY_MESSAGE: Intent.SEND_MESSAGE.value,
    Intent.READ_MESSAGES: Intent.READ_MESSAGES.value,
    Intent.QUERY_CONTACT: Intent.QUERY_CONTACT.value,
    Intent.CREATE_EVENT: Intent.CREATE_EVENT.value,
    Intent.QUERY_CALENDAR: Intent.QUERY_CALENDAR.value,
    Intent.CANCEL_EVENT: Intent.CANCEL_EVENT.value,
    Intent.NONE: OUT_OF_DOMAIN,
}
FILL = {
    "en": {
        "names": [
            "li wei",
            "zhang san",
            "grace chen",
            "li na",
            "david",
            "wu hao",
            "xu jing",
            "peter zhou",
            "the sales team",
            "mom",
        ],
        "text": [
            "i'm running late",
            "the truck is loaded",
            "call me back",
            "budget review",
            "team lunch",
            "the report is ready",
            "see you at five",
            "the warehouse",
            "project sync",
        ],
        "any": ["please", "the", "um", "my", "that", "now", "real quick"],
        "times": [
            "tomorrow at 3",
            "at ten am",
            "on friday",
            "next monday afternoon",
            "today at 4 pm",
            "this evening",
        ],
    },
    "zh": {
        "names": ["李伟", "张三", "李娜", "王芳", "吴昊", "徐静", "谢婷", "老张", "销售部"],
        "text": [
            "我晚点到",
            "货已经装好了",
            "回个电话",
            "预算评审",
            "团队午餐",
            "报告好了",
            "五点见",
            "仓库",
            "项目同步会",
        ],
        "any": ["一下", "那个", "嗯", "就是"],
        "times": ["明天下午三点", "周五上午十点", "今天晚上", "下周一", "后天早上九点"],
    },
}


def grammar_samples(locale: str, per_template: int, seed: int) -> list[tuple[str, str]]:
    """``per_template`` labelled sentences for each template of the locale's grammar."""
    root = GRAMMAR_ROOT / locale / "sentences"
    files = sorted((p for p in root.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name)
    merged = _merge([load_yaml(p) for p in files])
    rules = {name: parse_template(str(text)) for name, text in merged["rules"].items()}
    expander = _Expander(random.Random(seed), rules, merged["lists"], FILL[locale], locale == "zh")
    samples: list[tuple[str, str]] = []
    for name, spec in merged["intents"].items():
        label = LABELS.get(Intent(name))
        if label is None:
            continue
        timed = spec.get("times") == "extract"
        for block in spec["data"]:
            for sentence in block["sentences"]:
                node = parse_template(sentence)
                for _ in range(per_template):
                    samples.append((expander.sentence(node, timed), label))
    return samples


class _Expander:
    def __init__(
        self,
        rng: random.Random,
        rules: dict[str, Node],
        lists: dict[str, Any],
        fill: dict[str, list[str]],
        characters: bool,
    ) -> None:
        self.rng, self.rules, self.lists, self.fill = rng, rules, lists, fill
        self.characters = characters

    def sentence(self, node: Node, timed: bool) -> str:
        words = self.expand(node, 0)
        if timed and self.rng.random() < 0.6:
            time = self.rng.choice(self.fill["times"])
            words = [time, *words] if self.rng.random() < 0.5 else [*words, time]
        glue = "" if self.characters else " "
        text = glue.join(w for w in words if w)
        return text if not self.characters else "".join(text.split())

    def expand(self, node: Node, depth: int) -> list[str]:
        if depth > 30:
            return []
        if isinstance(node, Word):
            return [node.text]
        if isinstance(node, Seq):
            return [w for item in node.items for w in self.expand(item, depth + 1)]
        if isinstance(node, Alt):
            if node.optional and self.rng.random() < 0.5:
                return []
            return self.expand(self.rng.choice(node.options), depth + 1)
        if isinstance(node, RuleRef):
            if node.name == "any":
                return [self.rng.choice(self.fill["any"])]
            rule = self.rules.get(node.name)
            return self.expand(rule, depth + 1) if rule is not None else []
        assert isinstance(node, SlotRef)
        return [self._slot(node)]

    def _slot(self, ref: SlotRef) -> str:
        spec = self.lists.get(ref.list_name) or {}
        if spec.get("contact") or spec.get("contacts"):
            return self.rng.choice(self.fill["names"])
        values = spec.get("values")
        if isinstance(values, dict) and values:
            return str(self.rng.choice(sorted(values, key=str)))
        if isinstance(values, list) and values:
            return str(self.rng.choice(values))
        return self.rng.choice(self.fill["text"])


__all__ = ["grammar_samples"]
