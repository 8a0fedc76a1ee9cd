"""Nothing lost, nothing doubled, at full length: the fault table, and the idle worker's cost.

Runs every scenario of ``tests/faults/scenarios.yaml`` against a real loopback
webhook receiver with a real DriveTalk process (``tests/servers/outbox_child``),
at full length by default (a 90 s outage lasts 90 s; backoff 1 s doubling to
the 5 min cap, client timeout 10 s: the README's defaults). Prints per
scenario: messages lost and doubled (must be 0 and 0), requests the receiver
saw, and seconds from the receiver's recovery to the first delivery. Then
measures a delivery worker idling on an empty outbox: CPU seconds per hour
and wake-ups per hour, against a bare event loop.

Run: ``.venv/bin/python benchmarks/outbox_faults.py [--scale 1] [--only NAME ...]
[--idle-seconds 300] [--json out.json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from connectors.outbox import DeliveryWorker, Outbox
from tests.faults.harness import run_scenario, scenarios, summary


class Unused:
    """A messaging backend the idle worker never calls."""

    async def send(self, message: object) -> object:
        """Never called: the outbox is empty."""
        raise AssertionError("an idle worker sent something")


async def idle_cost(seconds: float, with_worker: bool, folder: Path) -> tuple[float, int]:
    """(CPU seconds, wake-ups) of ``seconds`` of an event loop with or without a worker."""
    outbox = Outbox.open(folder / f"idle-{with_worker}.sqlite3")
    worker = DeliveryWorker(outbox, Unused())
    started = time.process_time()
    task = asyncio.create_task(worker.run()) if with_worker else None
    await asyncio.sleep(seconds)
    cpu = time.process_time() - started
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    outbox.close()
    return cpu, worker.wakeups


def main() -> None:
    """Run the table, then the idle measurement; print both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--idle-seconds", type=float, default=300.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; scale {args.scale}")  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory(prefix="outbox-faults-") as tmp:
        for scenario in scenarios():
            if args.only and scenario.name not in args.only:
                continue
            started = time.monotonic()
            outcome = run_scenario(scenario, args.scale, Path(tmp) / scenario.name)
            row = {**summary(outcome), "wall_s": round(time.monotonic() - started, 1)}
            rows.append(row)
            print(json.dumps(row), flush=True)
        idle = {}
        if args.idle_seconds > 0:
            bare, _ = asyncio.run(idle_cost(args.idle_seconds, False, Path(tmp)))
            cpu, wakeups = asyncio.run(idle_cost(args.idle_seconds, True, Path(tmp)))
            per_hour = 3600.0 / args.idle_seconds
            idle = {
                "idle_seconds": args.idle_seconds,
                "worker_cpu_s_per_hour": round((cpu - bare) * per_hour, 4),
                "bare_loop_cpu_s_per_hour": round(bare * per_hour, 4),
                "worker_wakeups_per_hour": round(wakeups * per_hour),
            }
            print(json.dumps(idle), flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps({"scenarios": rows, "idle": idle}, indent=2))


if __name__ == "__main__":
    main()
