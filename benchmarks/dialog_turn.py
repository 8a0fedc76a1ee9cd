"""Benchmark: a typed driver turn to the assistant's reply text.

Measures, per turn, (1) parse + engine step alone (pure, no I/O) and (2) the
whole runner turn against the embedded local backend up to the first reply
line (includes SQLite reads; the outbox fsync of a confirmed send is
reported separately as connector latency). Fixed clock, demo organisation.

    .venv/bin/python benchmarks/dialog_turn.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from assistant.compose import open_conversation
from assistant.config import Settings
from assistant.dialog.engine import step
from assistant.dialog.events import Utterance
from assistant.dialog.sink import ShownAndSpoken

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=ZONE)

#: One round: every flow once; the "yes" turns write through the outbox.
TURNS = (
    "send a message to Li Na saying I'll be ten minutes late",
    "change the message to I'll be twenty minutes late",
    "cancel",
    "tell Li Wei I am late",
    "sales",
    "never mind",
    "read my messages",
    "repeat",
    "stop",
    "what's on my calendar tomorrow",
    "what's next",
    "schedule design review tomorrow at 5 pm",
    "no",
    "what's Li Na's phone number",
    "help",
    "play some jazz",
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def report(name: str, samples: list[float]) -> None:
    ms = [s * 1000 for s in samples]
    print(
        f"{name:<34} n={len(ms):5d}  p50={pct(ms, 0.5):7.2f} ms  p95={pct(ms, 0.95):7.2f} ms  "
        f"max={max(ms):7.2f} ms  mean={statistics.fmean(ms):6.2f} ms"
    )


async def run(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        first_reply: list[float] = []
        pure: list[float] = []
        mark = 0.0

        def on_say(_text: str) -> None:
            nonlocal mark
            if mark:
                first_reply.append(time.perf_counter() - mark)
                mark = 0.0

        session = await open_conversation(
            Settings(data_dir=Path(tmp), connectors={"local": {"seed_demo": True}}),
            zone=ZONE,
            clock=lambda: NOW,
            speech=ShownAndSpoken(on_say),
            timeouts=False,
        )
        runner = session.runner
        try:
            for _ in range(rounds):
                for text in TURNS:
                    before = runner.state
                    t0 = time.perf_counter()
                    result = runner.parse(text)
                    step(before, Utterance(result, "bench"), NOW)
                    pure.append(time.perf_counter() - t0)
                    mark = time.perf_counter()
                    await runner.hear(text)
                # Keep the store's unread messages for the next round.
                await asyncio.to_thread(_mark_all_unread, session)
            sends = await _confirmed_sends(runner, rounds)
        finally:
            await session.aclose()
    print(f"machine: {platform.machine()} python {platform.python_version()}")
    report("parse + step (pure)", pure)
    report("runner turn -> first reply line", first_reply)
    report("confirmed send (outbox fsync + store)", sends)


def _mark_all_unread(session) -> None:  # type: ignore[no-untyped-def]
    store = session.connector.store
    with store._tx() as tx:  # benchmark-only reset of the demo data
        tx.execute("UPDATE messages SET read = 0 WHERE sender_id != ?", (store.me.id,))


async def _confirmed_sends(runner, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for i in range(rounds):
        await runner.hear(f"send a message to Li Na saying note {i}")
        t0 = time.perf_counter()
        await runner.hear("yes")
        samples.append(time.perf_counter() - t0)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(run(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
