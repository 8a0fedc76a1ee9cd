"""The DingTalk connector passes the conformance kit against the emulator."""

from __future__ import annotations

import pytest

from connectors.conformance import conform
from tests.connectors.dingtalk.conftest import ConnectorFactory

pytestmark = pytest.mark.timeout(120)


async def test_dingtalk_conforms_with_writes(make_connector: ConnectorFactory) -> None:
    connector = make_connector()
    report = await conform(connector, write=True, now=connector.now)
    report.assert_ok()
    assert report.ports == ("messaging", "calendar", "directory")
