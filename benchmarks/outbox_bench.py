"""Outbox overhead per message: enqueue (fsync'd) + delivery bookkeeping vs a direct send.

Both paths send to the same in-memory messaging backend, so the difference is
exactly what the outbox adds: the fsync'd INSERT before the network call, the
fsync'd UPDATE after it, the thread hops that keep SQLite off the event loop,
and the retry wrapper. Target (issue 6): <= 5 ms per message.

Run: ``.venv/bin/python benchmarks/outbox_bench.py [--messages N] [--dir DIR]``
``--dir`` must be on the disk the outbox will live on (fsync cost is the disk's);
the default is a temporary directory next to this script, not /tmp.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from assistant.models import OutgoingMessage, SendReceipt
from connectors.outbox import Outbox


class MemoryMessaging:
    """A backend that 'delivers' by remembering the message (deduplicated by key)."""

    def __init__(self) -> None:
        self.delivered: dict[str, SendReceipt] = {}

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        """Store once per idempotency key."""
        receipt = SendReceipt(f"m-{len(self.delivered)}", message.recipient_id, datetime.now(UTC))
        return self.delivered.setdefault(message.idempotency_key, receipt)


def message(i: int) -> OutgoingMessage:
    return OutgoingMessage(uuid.uuid4().hex, "u-li-wei", "Li Wei", f"benchmark message {i}")


async def direct(n: int) -> list[float]:
    backend = MemoryMessaging()
    times = []
    for i in range(n):
        msg = message(i)
        start = time.perf_counter()
        await backend.send(msg)
        times.append(time.perf_counter() - start)
    return times


async def through_outbox(n: int, path: Path) -> tuple[list[float], list[float]]:
    backend = MemoryMessaging()
    outbox = Outbox.open(path)
    totals, enqueues = [], []
    try:
        for i in range(n):
            msg = message(i)
            start = time.perf_counter()
            entry = outbox.enqueue(msg)
            queued = time.perf_counter()
            await outbox.deliver(entry, backend)
            end = time.perf_counter()
            totals.append(end - start)
            enqueues.append(queued - start)
    finally:
        outbox.close()
    assert len(backend.delivered) == n
    return totals, enqueues


def raw_fsync(n: int, path: Path) -> list[float]:
    """The disk's own price: append 200 bytes and fsync, ``n`` times."""
    times = []
    with path.open("ab") as fh:
        for _ in range(n):
            start = time.perf_counter()
            fh.write(b"x" * 200)
            fh.flush()
            os.fsync(fh.fileno())
            times.append(time.perf_counter() - start)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--dir", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    await direct(20)  # warm-up
    base = await direct(args.messages)
    with tempfile.TemporaryDirectory(prefix="outbox-bench-", dir=args.dir) as tmp:
        await through_outbox(20, Path(tmp) / "warmup.sqlite3")
        totals, enqueues = await through_outbox(args.messages, Path(tmp) / "outbox.sqlite3")
        fsyncs = raw_fsync(args.messages, Path(tmp) / "raw.bin")
    direct_mean = statistics.mean(base)
    overhead = [t - direct_mean for t in totals]
    print(f"# Outbox overhead ({args.messages} messages, {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}, "
          f"load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    print()
    print("| path | mean ms | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for label, values in [
        ("raw write + fsync of 200 bytes (the disk)", fsyncs),
        ("direct send (in-memory backend)", base),
        ("enqueue only (fsync'd INSERT)", enqueues),
        ("enqueue + deliver through the outbox", totals),
        ("**outbox overhead per message**", overhead),
    ]:
        print(f"| {label} | {ms(statistics.mean(values))} | {ms(pct(values, 0.5))} | "
              f"{ms(pct(values, 0.95))} | {ms(pct(values, 0.99))} |")  # fmt: skip
    mean = statistics.mean(overhead)
    verdict = "meets" if mean <= 0.005 else "MISSES"
    print()
    print(f"Mean overhead {ms(mean)} ms ({mean / statistics.mean(fsyncs):.1f}x one raw fsync): "
          f"{verdict} the <= 5 ms target.")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
