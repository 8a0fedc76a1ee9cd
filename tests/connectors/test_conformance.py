"""The conformance kit: it passes a conforming connector and names what a broken one breaks."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.conformance import ConformanceError, conform, ports_of
from connectors.local import LocalConnector
from connectors.local.demo import open_demo_store
from connectors.sdk import CalendarEvent, CheckResult, Message, SendReceipt
from tests.conftest import NOW, ZONE


class Broken(LocalConnector):
    """The local connector with four contract breaches a real backend could have."""

    async def unread_messages(self) -> Sequence[Message]:
        messages = await super().unread_messages()
        return [replace(m, read=True) for m in reversed(messages)]

    async def send(self, message):  # type: ignore[no-untyped-def]
        # Delivers again on every call: a new message id for the same idempotency key.
        receipt = await super().send(replace(message, idempotency_key=uuid.uuid4().hex))
        return SendReceipt(receipt.message_id, receipt.conversation_id, NOW)

    async def events(self, start, end) -> Sequence[CalendarEvent]:  # type: ignore[no-untyped-def]
        return list(reversed(await super().events(start, end)))

    async def check(self) -> CheckResult:
        raise RuntimeError("boom")


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[LocalConnector]:
    connector = LocalConnector(open_demo_store(tmp_path, NOW, ZONE), now=lambda: NOW)
    yield connector
    await connector.aclose()


async def test_the_local_connector_conforms_with_writes(local: LocalConnector) -> None:
    report = await conform(local, write=True, now=lambda: NOW)
    report.assert_ok()
    assert report.ports == ("messaging", "calendar", "directory")
    assert not [f for f in report.findings if f.status == "skipped"]


async def test_a_broken_connector_gets_one_finding_per_breach(tmp_path: Path) -> None:
    broken = Broken(open_demo_store(tmp_path, NOW, ZONE), now=lambda: NOW)
    try:
        report = await conform(broken, write=True, now=lambda: NOW)
    finally:
        await broken.aclose()
    failed = {f.check: f.detail for f in report.failures}
    assert failed == {
        "check() reaches the backend": "RuntimeError: boom",
        "unread_messages() are unread, oldest first": "unread_messages(): not oldest first",
        "send() is idempotent": failed["send() is idempotent"],
        "events() overlap the window, by start": "events are not ordered by start",
    }
    assert "delivered twice" in failed["send() is idempotent"]
    with pytest.raises(ConformanceError, match="fails 4 check"):
        report.assert_ok()


async def test_read_only_changes_nothing(local: LocalConnector) -> None:
    before = len(local.store.messages())
    window = (NOW - timedelta(days=30), NOW + timedelta(days=30))
    events = local.store.events(*window)
    report = await conform(local, now=lambda: NOW)
    report.assert_ok()
    assert len(local.store.messages()) == before
    assert local.store.events(*window) == events


async def test_a_hanging_call_is_a_failure_not_a_hang(local: LocalConnector) -> None:
    class Hanging(LocalConnector):
        async def conversations(self):  # type: ignore[no-untyped-def]
            import asyncio

            await asyncio.Event().wait()

    hanging = Hanging(local.store, now=lambda: NOW)
    report = await conform(hanging, now=lambda: NOW, timeout=0.2)
    assert [f.check for f in report.failures] == ["conversations()"]


def test_ports_are_read_from_classes_and_instances(local: LocalConnector) -> None:
    from connectors.caldav import CalDAVConnector
    from connectors.webhook import WebhookConnector

    assert ports_of(LocalConnector) == ("messaging", "calendar", "directory")
    assert ports_of(local) == ("messaging", "calendar", "directory")
    assert ports_of(CalDAVConnector) == ("calendar",)
    assert ports_of(WebhookConnector) == ("messaging",)
    assert ports_of(object()) == ()
