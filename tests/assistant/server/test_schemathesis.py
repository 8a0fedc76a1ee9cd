"""Property-based API testing: schemathesis against the live OpenAPI schema.

No generated request may produce a 5xx, and every response must match the
schema (status codes, content types, bodies). Excluded on purpose:
``positive_data_acceptance`` (a schema cannot say that a binary body must be
a WAV file, so random bytes are rightly refused with 415) and
``allow_header_conformance`` (Starlette lists only the matched route's
methods in ``Allow`` on a 405). The webhook router is tested by its own suite.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import ServerLimits, ServerSettings, TTSSettings
from assistant.server.app import create_app
from tests.assistant.server.live import Live, make_key, serve, server_settings

pytestmark = [pytest.mark.slow]

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    settings = server_settings(
        tmp_path_factory.mktemp("fuzz"),
        tts=TTSSettings(enabled=False),
        server=ServerSettings(limits=ServerLimits(sessions_per_key=50, burst_per_key=10_000)),
    )
    with serve(create_app(settings)) as running:
        yield running


def test_generated_requests_never_get_a_5xx_and_match_the_schema(live: Live) -> None:
    if not SCHEMATHESIS.exists():
        pytest.skip("schemathesis is not installed")
    key = make_key(live.app.state.server.settings, "acme", "fuzzer")
    command = [
        str(SCHEMATHESIS), "run", f"{live.url}/openapi.json",
        "--header", f"Authorization: Bearer {key}",
        "--checks", "all",
        "--exclude-checks", "positive_data_acceptance,allow_header_conformance",
        "--exclude-path-regex", "^/v1/webhook",
        "--max-examples", "25",
        "--workers", "1",
        "--generation-deterministic",
        "--request-timeout", "60",
        "--no-color",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "Tested: 9" in done.stdout  # 8 routes + GET /v1/sessions/{id}/notices
