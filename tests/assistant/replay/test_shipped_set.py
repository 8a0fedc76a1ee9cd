"""The shipped set replayed from its transcripts: no crash, and nothing acts unasked.

Accuracy figures belong in BENCHMARKS.md (they move with the grammar); what
is asserted here must always hold: every case runs to its end, and no case
that expects nothing to leave the car (a request never confirmed, a
cancelled one, out-of-domain speech) sends, creates or cancels anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.replay.manifest import load_manifest
from assistant.replay.runner import replay

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
async def test_transcripts_of_the_shipped_set() -> None:
    manifest = load_manifest(ROOT / "audio_samples")
    results = await replay(manifest)
    assert [(r.id, r.error) for r in results if r.error is not None] == []
    quiet = {
        case.id
        for case in manifest.cases
        if case.outcome is not None and not any(case.outcome.values())
    }
    assert len(quiet) >= 15
    acted = {r.id: r.outcome_problems for r in results if r.id in quiet and not r.outcome_ok}
    assert acted == {}
