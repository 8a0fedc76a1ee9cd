"""Fixtures shared by the whole suite: a fixed clock and a fresh demo store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings

from connectors.local import LocalStore
from connectors.local.demo import open_demo_store

#: Real loopback servers (Synapse, Radicale) as session fixtures.
pytest_plugins = ("tests.servers.fixtures",)

# Property tests are a release gate, so by default they draw the same examples
# every run (a red build is reproducible) and carry no wall-clock deadline (this
# machine is shared, and timing is measured in benchmarks, never asserted).
# HYPOTHESIS_PROFILE=explore draws fresh examples on every run instead.
settings.register_profile("gate", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "gate"))

#: The suite's fixed clock: Monday 23 November 2026, 08:00 in Shanghai.
ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=ZONE)


@pytest.fixture
def now() -> datetime:
    """The fixed 'now' every date in the tests is resolved against."""
    return NOW


@pytest.fixture
def demo_store(tmp_path: Path) -> Iterator[LocalStore]:
    """A fresh local store seeded with the demo organisation at NOW."""
    store = open_demo_store(tmp_path / "data", NOW, ZONE)
    yield store
    store.close()
