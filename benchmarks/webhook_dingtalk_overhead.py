"""Per-message overhead of the webhook verifier/signing and the DingTalk send ledger.

Run: .venv/bin/python benchmarks/webhook_dingtalk_overhead.py [--n 2000]
Prints median and p95 microseconds/milliseconds per operation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from assistant.models import SendReceipt
from connectors.dingtalk.ledger import SentLedger
from connectors.dingtalk.signing import robot_sign_params
from connectors.webhook.signing import signed_headers
from connectors.webhook.verify import ReplayCache, verify_inbound

SECRET = "benchmark-secret-0123456789"


def event(i: int) -> bytes:
    message = {
        "id": f"m{i}",
        "conversation_id": "c1",
        "conversation_name": "Project Apollo",
        "conversation_kind": "group",
        "sender_id": "u1",
        "sender_name": "David Zhang",
        "body": "The demo moved to three pm, please confirm you can make it." * 3,
        "sent_at": "2026-11-23T08:05:00+08:00",
    }
    return json.dumps(
        {"type": "message.incoming", "version": 1, "id": f"e{i}", "message": message}
    ).encode()


def timed(samples: list[float], started: float) -> None:
    samples.append(time.perf_counter() - started)


def report(name: str, samples: list[float], unit: float, label: str) -> None:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(
        f"{name:<44} median {statistics.median(ordered) / unit:7.1f} {label}"
        f"   p95 {p95 / unit:7.1f} {label}"
    )


def bench_verify(n: int) -> None:
    seen, now = ReplayCache(), int(time.time())
    bodies = [event(i) for i in range(n)]
    signing: list[float] = []
    verifying: list[float] = []
    for body in bodies:
        t = time.perf_counter()
        headers = signed_headers(SECRET, now, body)
        timed(signing, t)
        t = time.perf_counter()
        verify_inbound(headers, body, SECRET, now, seen=seen)
        timed(verifying, t)
    report("webhook sign (HMAC-SHA256)", signing, 1e-6, "us")
    report("webhook verify_inbound (sig+schema+replay)", verifying, 1e-6, "us")
    robot: list[float] = []
    for i in range(n):
        t = time.perf_counter()
        robot_sign_params(SECRET, 1_700_000_000_000 + i)
        timed(robot, t)
    report("dingtalk robot sign", robot, 1e-6, "us")


async def bench_ledger(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ledger = SentLedger(Path(tmp) / "dingtalk.sqlite3")
        samples: list[float] = []
        for i in range(n):
            t = time.perf_counter()
            if await ledger.lookup(f"k{i}") is None:
                await ledger.record(f"k{i}", SendReceipt(f"p{i}", "u1", datetime.now(UTC)))
            timed(samples, t)
        report("dingtalk ledger lookup+record (fsync)", samples, 1e-3, "ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    bench_verify(args.n)
    asyncio.run(bench_ledger(min(args.n, 500)))


if __name__ == "__main__":
    main()
