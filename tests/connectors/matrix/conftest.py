"""A connected MatrixConnector for Alice on the session's Synapse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from connectors.matrix import MatrixConnector
from tests.connectors.matrix.helpers import context, matrix_config
from tests.servers.synapse import MatrixUser, SynapseServer


@pytest.fixture
async def connector(
    synapse: SynapseServer, alice: MatrixUser, tmp_path: Path
) -> AsyncIterator[MatrixConnector]:
    """Alice's connector, token auth, over a shared AsyncClient."""
    async with httpx.AsyncClient() as http:
        built = MatrixConnector.from_config(
            matrix_config(synapse.url, alice),
            context(tmp_path, http, {"MATRIX_TOKEN": alice.access_token}),
        )
        yield built
        await built.aclose()
