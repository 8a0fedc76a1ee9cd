"""Property-based API testing: schemathesis against the live OpenAPI schema.

No generated request may produce a 5xx, and every response must match the
schema (status codes, content types, bodies, ``Allow`` headers), with every
check on and every route included, the signed webhook route too. A schema
can only call the audio body "binary", so the hooks
(:mod:`.schemathesis_hooks`) draw real WAV files for it: schema-valid data
must then be accepted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import ServerLimits, ServerSettings, TTSSettings
from assistant.server.app import create_app
from tests.assistant.server.live import Live, make_key, serve, server_settings

pytestmark = [pytest.mark.slow]

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
ROOT = Path(__file__).resolve().parents[3]


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
        "--max-examples", "25",
        "--workers", "1",
        "--generation-deterministic",
        "--request-timeout", "60",
        "--no-color",
    ]  # fmt: skip
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.assistant.server.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, env=env, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    schema = httpx.get(f"{live.url}/openapi.json", timeout=30).json()
    operations = sum(len(methods) for methods in schema["paths"].values())
    assert operations >= 9  # sessions, turns, operations and the webhook route
    assert f"Tested: {operations}" in done.stdout  # every operation, none skipped
