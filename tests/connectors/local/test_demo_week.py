"""The demo organisation is seeded only on request and its week stays current."""

from __future__ import annotations

import ast
from datetime import datetime, timedelta
from pathlib import Path

from connectors.local import LocalStore
from connectors.local import store as store_module
from connectors.local.demo import DEMO_DAY, move_demo_week, open_demo_store
from tests.conftest import NOW, ZONE


def tomorrow(store: LocalStore, now: datetime) -> list[str]:
    day = datetime.combine(now.astimezone(ZONE).date() + timedelta(days=1), datetime.min.time())
    start = day.replace(tzinfo=ZONE)
    return [e.title for e in store.events(start, start + timedelta(days=1))]


def test_a_new_store_opens_empty(tmp_path: Path) -> None:
    store = LocalStore.open(tmp_path, now=NOW, zone=ZONE)
    try:
        assert store.is_empty
        assert store.contacts() == []
    finally:
        store.close()


def test_the_store_knows_nothing_of_the_demo() -> None:
    # demo imports store, never the other way round: no import cycle, late or not.
    tree = ast.parse(Path(store_module.__file__ or "").read_text(encoding="utf-8"))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "connectors.local.demo" not in imported


def test_a_demo_store_opened_days_later_still_has_meetings_tomorrow(tmp_path: Path) -> None:
    seeded = open_demo_store(tmp_path, NOW, ZONE)
    expected = tomorrow(seeded, NOW)
    seeded.close()
    assert expected, "the demo has meetings tomorrow"
    later = NOW + timedelta(days=9, hours=2)
    store = open_demo_store(tmp_path, later, ZONE)
    try:
        assert tomorrow(store, later) == expected
        assert store.meta(DEMO_DAY) == later.astimezone(ZONE).date().isoformat()
    finally:
        store.close()


def test_moving_keeps_every_gap_between_messages_and_events(tmp_path: Path) -> None:
    store = open_demo_store(tmp_path, NOW, ZONE)
    try:
        before = [m.sent_at for m in store.messages()]
        events = store.events(NOW - timedelta(days=30), NOW + timedelta(days=30))
        assert move_demo_week(store, NOW + timedelta(days=3)) == 3
        assert [m.sent_at for m in store.messages()] == [t + timedelta(days=3) for t in before]
        moved = store.events(NOW - timedelta(days=30), NOW + timedelta(days=40))
        assert [(e.start, e.end) for e in moved] == [
            (e.start + timedelta(days=3), e.end + timedelta(days=3)) for e in events
        ]
    finally:
        store.close()


def test_the_same_day_or_a_clock_set_back_moves_nothing(tmp_path: Path) -> None:
    store = open_demo_store(tmp_path, NOW, ZONE)
    try:
        assert move_demo_week(store, NOW + timedelta(hours=1)) == 0
        assert move_demo_week(store, NOW - timedelta(days=2)) == 0
    finally:
        store.close()


def test_a_store_that_is_not_a_demo_is_never_moved(tmp_path: Path) -> None:
    store = LocalStore.open(tmp_path, now=NOW, zone=ZONE)
    try:
        assert move_demo_week(store, NOW + timedelta(days=5)) == 0
        assert store.meta(DEMO_DAY) is None
    finally:
        store.close()
