"""Nothing lost, nothing doubled: a real DriveTalk process against a misbehaving receiver.

Every scenario of ``scenarios.yaml`` runs at a reduced scale (``FAULT_SCALE``,
default 0.02: a 90 s outage lasts 1.8 s and the backoff shrinks with it);
``benchmarks/outbox_faults.py`` runs the same table at full length.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.faults.harness import Outcome, Scenario, run_scenario, scenarios

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SCALE = float(os.environ.get("FAULT_SCALE", "0.02"))


@pytest.mark.parametrize("scenario", scenarios(), ids=lambda s: s.name)
def test_every_confirmed_message_arrives_exactly_once(scenario: Scenario, tmp_path: Path) -> None:
    outcome = run_scenario(scenario, SCALE, tmp_path)
    assert (outcome.lost, outcome.doubled) == (0, 0)
    assert outcome.states == ["delivered"] * 3
    if scenario.name.startswith("429"):
        assert_retry_after_honoured(outcome)


def assert_retry_after_honoured(outcome: Outcome) -> None:
    """The throttled message came back no earlier than the receiver asked."""
    [(answer, waited)] = outcome.waits_after_429
    hint = float(answer.rsplit(":", 1)[1])
    # An HTTP date has whole seconds: it may end up to a second earlier than asked.
    slack = 1.0 if ":date:" in answer else 0.0
    assert waited >= hint - slack
