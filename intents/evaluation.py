"""Intent accuracy on a SLURP-format JSONL file (``drivetalk nlu-eval``).

SLURP intents map onto ours as in ``../shared/data/slurp/README.md``;
``email_addcontact`` is left out, everything else is out of domain and must
never come back as an action intent. The gold mapping is data
(``intents/grammar/slurp_map.yaml``), not code.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.errors import InputFileError
from assistant.models import ACTION_INTENTS, Intent
from intents.grammar import GRAMMAR_ROOT, load_yaml
from intents.parser import Parser

OUT_OF_DOMAIN = "ood"


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled utterance."""

    id: int
    text: str
    gold: str  # a SLURP intent


@dataclass
class Report:
    """Counts behind the figures ``nlu-eval`` prints."""

    per_intent: dict[str, Counter[str]] = field(default_factory=dict)
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    ood_total: int = 0
    ood_false_actions: int = 0
    excluded: int = 0

    @property
    def in_domain_total(self) -> int:
        """Number of in-domain utterances scored."""
        return sum(c["total"] for c in self.per_intent.values())

    @property
    def in_domain_accuracy(self) -> float:
        """Share of in-domain utterances with the right intent."""
        total = self.in_domain_total
        return sum(c["correct"] for c in self.per_intent.values()) / total if total else 0.0

    @property
    def ood_false_action_rate(self) -> float:
        """Share of out-of-domain utterances parsed as an action intent."""
        return self.ood_false_actions / self.ood_total if self.ood_total else 0.0

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-compatible data."""
        return {
            "in_domain": {
                "total": self.in_domain_total,
                "accuracy": round(self.in_domain_accuracy, 4),
            },
            "per_intent": {
                name: {
                    "total": c["total"],
                    "correct": c["correct"],
                    "accuracy": round(c["correct"] / c["total"], 4) if c["total"] else 0.0,
                }
                for name, c in sorted(self.per_intent.items())
            },
            "out_of_domain": {
                "total": self.ood_total,
                "false_actions": self.ood_false_actions,
                "false_action_rate": round(self.ood_false_action_rate, 4),
            },
            "excluded": self.excluded,
            "confusions": [
                {"gold": g, "parsed": p, "count": n} for (g, p), n in self.confusions.most_common()
            ],
        }


def load_mapping() -> dict[str, list[str] | None]:
    """SLURP intent -> accepted assistant intents (None: excluded)."""
    data = load_yaml(GRAMMAR_ROOT / "slurp_map.yaml")
    return {str(k): (None if v is None else [str(x) for x in v]) for k, v in data["map"].items()}


#: Longest JSONL line read (a SLURP record is a few hundred bytes).
MAX_LINE_BYTES = 1024 * 1024


def read_examples(path: Path) -> Iterator[Example]:
    """Read a SLURP-format JSONL file; a bad line is an InputFileError naming it."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with handle:
        number = 0
        while line := handle.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(line) > MAX_LINE_BYTES:
                raise InputFileError(f"{path}:{number}: line is over {MAX_LINE_BYTES} bytes")
            if line.strip():
                yield _example(path, number, line)


def _example(path: Path, number: int, line: bytes) -> Example:
    try:
        record = json.loads(line.decode("utf-8-sig" if number == 1 else "utf-8"))
    except UnicodeDecodeError:
        raise InputFileError(f"{path}:{number}: not UTF-8 text (is this a JSONL file?)") from None
    except ValueError as exc:
        raise InputFileError(f"{path}:{number}: not a SLURP record (not JSON: {exc})") from None
    if not isinstance(record, dict):
        raise InputFileError(
            f"{path}:{number}: not a SLURP record (a JSON object with sentence and intent)"
        )
    try:
        return Example(
            int(record.get("slurp_id", number)),
            str(record["sentence"]),
            str(record["intent"]),
        )
    except KeyError as exc:
        raise InputFileError(f"{path}:{number}: not a SLURP record (no {exc} field)") from None
    except (ValueError, TypeError) as exc:
        raise InputFileError(f"{path}:{number}: not a SLURP record ({exc})") from None


def evaluate(
    parser: Parser,
    examples: Iterable[Example],
    now: datetime,
    mapping: Mapping[str, list[str] | None] | None = None,
) -> Report:
    """Parse every example and count hits, misses and out-of-domain actions."""
    mapping = load_mapping() if mapping is None else mapping
    report = Report()
    for example in examples:
        parsed = parser.parse(example.text, now=now).intent
        if example.gold in mapping and mapping[example.gold] is None:
            report.excluded += 1
            continue
        accepted = mapping.get(example.gold)
        if accepted is None:
            report.ood_total += 1
            if parsed in ACTION_INTENTS:
                report.ood_false_actions += 1
                report.confusions[(OUT_OF_DOMAIN, parsed.value)] += 1
            continue
        counts = report.per_intent.setdefault(accepted[0], Counter())
        counts["total"] += 1
        if parsed.value in accepted:
            counts["correct"] += 1
        else:
            report.confusions[(accepted[0], parsed.value)] += 1
    return report


def is_even(example: Example) -> bool:
    """The development half (even slurp_id); odd ids are held out."""
    return example.id % 2 == 0


__all__ = ["Example", "Intent", "Report", "evaluate", "is_even", "load_mapping", "read_examples"]
