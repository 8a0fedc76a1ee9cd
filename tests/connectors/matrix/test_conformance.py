"""The Matrix connector passes the conformance kit against the real Synapse."""

from __future__ import annotations

import pytest

from connectors.conformance import conform
from connectors.matrix import MatrixConnector
from tests.connectors.conftest import Scene

pytestmark = [pytest.mark.synapse, pytest.mark.timeout(180)]


async def test_matrix_conforms_with_writes(connector: MatrixConnector, scene: Scene) -> None:
    report = await conform(connector, write=True, recipient=scene.bob.user_id)
    report.assert_ok()
    assert report.ports == ("messaging", "directory")
