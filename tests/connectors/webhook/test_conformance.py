"""The webhook connector passes the conformance kit against a loopback receiver."""

from __future__ import annotations

import pytest

from connectors.conformance import conform
from tests.connectors.webhook.conftest import EnterpriseBackend, WebhookFactory

pytestmark = pytest.mark.timeout(120)


async def test_webhook_conforms_with_writes(
    make_webhook: WebhookFactory, enterprise: EnterpriseBackend
) -> None:
    # No directory: the recipient is named, as an enterprise's own ids would be.
    report = await conform(make_webhook(), write=True, recipient="u-li-na")
    report.assert_ok()
    assert report.ports == ("messaging",)
    assert len(enterprise.deliveries) == 1  # the same key twice, delivered once
