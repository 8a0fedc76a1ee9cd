"""Contact search against DingTalk's documented 20 calls a second per API.

Run: PYTHONPATH=. .venv/bin/python benchmarks/dingtalk_search.py [--runs 5]

Serves the test emulator (which enforces the documented limit with errcode
90018) on loopback and times ``search_contacts`` finding N people, each needing
one user-detail lookup: paced (the connector's sliding window) against
unpaced (every lookup at once, as before issue 19). Prints the median wall
time and how many lookups DingTalk would have refused.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

from connectors.dingtalk import DingTalkConnector, api
from connectors.dingtalk.settings import parse_settings, read_secrets
from tests.conftest import ZONE
from tests.connectors.dingtalk.conftest import base_config, robot_env
from tests.connectors.dingtalk.emulator import DingTalkEmulator
from tests.connectors.webhook.loopback import serve


async def one(emulator: DingTalkEmulator, data: Path, people: int) -> tuple[float, int]:
    settings = parse_settings(base_config(emulator))
    async with httpx.AsyncClient() as http:
        conn = DingTalkConnector(
            settings,
            read_secrets(settings, robot_env(emulator)),
            http=http,
            data_dir=data,
            zone=ZONE,
            now=lambda: datetime.now(ZONE),
            clock=emulator.now,
        )
        assert conn.api is not None
        await conn.api.tokens.get()
        emulator.advance(2.0)  # a fresh one-second window on DingTalk's side
        refused = emulator.rate_limited
        start = time.perf_counter()
        found = await conn.search_contacts("Fleet Driver", limit=people)
        took = time.perf_counter() - start
        await conn.aclose()
    assert len(found) == people
    return took, emulator.rate_limited - refused


async def main(runs: int) -> None:
    emulator = DingTalkEmulator()
    with serve(emulator.app) as base_url, tempfile.TemporaryDirectory() as tmp:
        emulator.base_url = base_url
        print("people  mode      median s  refused lookups (total)")
        for people in (10, 20, 30):
            for mode, limit in (("paced", api.API_CALLS_PER_WINDOW), ("unpaced", 10_000)):
                api.API_CALLS_PER_WINDOW = limit
                results = [await one(emulator, Path(tmp), people) for _ in range(runs)]
                median = statistics.median(r[0] for r in results)
                refused = sum(r[1] for r in results)
                print(f"{people:>6}  {mode:<8}  {median:8.3f}  {refused}")
            api.API_CALLS_PER_WINDOW = 20


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
