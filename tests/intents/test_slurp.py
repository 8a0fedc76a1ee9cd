"""Regression guard on the SLURP development set (skipped when it is not there).

The data lives next to the clone (``../shared/data/slurp/devel.jsonl``) and
is never copied into the repository. Targets and figures: BENCHMARKS.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from intents.evaluation import evaluate, read_examples
from intents.parser import Parser

DEVEL = Path(__file__).resolve().parents[3] / "shared" / "data" / "slurp" / "devel.jsonl"


@pytest.mark.slow
@pytest.mark.skipif(not DEVEL.exists(), reason="SLURP devel set not next to the clone")
def test_slurp_devel_out_of_domain_never_acts_and_accuracy_holds(now: datetime) -> None:
    report = evaluate(Parser.from_contacts([]), read_examples(DEVEL), now)
    assert report.ood_total > 1000
    assert report.ood_false_action_rate <= 0.01
    # The target; measured 93.2 % (BENCHMARKS.md).
    assert report.in_domain_accuracy >= 0.92
