"""Fleet load: 200 simulated cars on 1, 2 and 4 replicas (PostgreSQL) and 1 replica (SQLite).

Every configuration runs in the same invocation, on this machine, loopback
only: a throwaway PostgreSQL cluster (``pg_stat_statements`` loaded, to
count statements), N ``drivetalk serve`` processes (no speech model and no
TTS: the figures are dialog + storage), and, for N > 1, HAProxy in round
robin in front (not sticky: a car's turns land on every replica). Each car
has its own API key and session and runs the same text-turn script; all
cars run at once.

Reported per configuration: turns per second, reply latency p50/p95/p99
(request sent -> reply received, through the balancer), PostgreSQL
statements (round trips) per turn, peak resident memory per replica
(VmHWM), and each figure's ratio to one replica on SQLite. Every car opens
its session before the timed part starts; a 503 or 429 is retried after
its ``Retry-After`` as a car would (counted as ``retry``; its wait is in the
turn's latency). Statement counts include BEGIN/COMMIT and the sessions'
background work (delivery-notice checks) during the timed part.

    .venv/bin/python benchmarks/fleet_load.py                 # 200 cars, 1/2/4 replicas
    .venv/bin/python benchmarks/fleet_load.py --cars 50 --rounds 1 --replicas 1 --replicas 2

Bounded: ``--cars`` (<= 1000) x ``--rounds`` x 3 turns per configuration,
each configuration stopped after ``--limit-s`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.server.keys import KeyStore  # noqa: E402
from assistant.storage.postgres import PostgresDatabase  # noqa: E402
from tests.servers.haproxy import HAProxy  # noqa: E402
from tests.servers.net import free_port, wait_until_up  # noqa: E402
from tests.servers.postgres import PostgresServer  # noqa: E402

#: One round: a question, a draft, and "no" (the draft is dropped: nothing is sent).
SCRIPT = ("help", "send a message to Zhang San saying car {car} round {round}", "no")


@dataclass(frozen=True, slots=True)
class Result:
    """The figures of one configuration."""

    name: str
    turns: int
    errors: int
    seconds: float
    latencies: tuple[float, ...]
    statements: int | None
    peak_rss_mb: tuple[float, ...]
    #: 503/429 answers the cars waited out and retried (cold key caches, throttles).
    retries: int = 0

    @property
    def rate(self) -> float:
        """Turns per second."""
        return self.turns / self.seconds

    def pct(self, q: float) -> float:
        """Latency percentile, milliseconds."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def start_replica(root: Path, port: int, database_url: str | None) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIVETALK_")}
    env |= {
        "DRIVETALK_DATA_DIR": str(root / "data"),
        "XDG_CONFIG_HOME": str(root / "xdg"),
        "DRIVETALK_MODEL": str(root / "no-model"),  # text turns only
        "DRIVETALK_SERVER__LIMITS__SESSIONS_PER_KEY": "4",
    }
    if database_url is not None:
        env["DRIVETALK_SERVER__DATABASE_URL"] = database_url
    log = root / f"replica-{port}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port), "--no-tts"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    wait_until_up(f"http://127.0.0.1:{port}/healthz", process, 120, str(log))
    return process


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_keys(cars: int, root: Path, database_url: str | None) -> list[str]:
    if database_url is None:
        store = KeyStore.open(root / "data" / "server" / "keys.sqlite3")
    else:
        store = KeyStore(PostgresDatabase.connect(database_url))
    try:
        return [store.create("acme", f"car-{i}").secret for i in range(cars)]
    finally:
        store.close()


def statements(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements").fetchone()
    return int(row[0]) if row else 0


#: A car retries a 503/429 as the server asks (Retry-After), at most this often per request.
MAX_RETRIES = 30
RETRIES: list[int] = [0]


async def request(http: httpx.AsyncClient, method: str, path: str, **kw: object) -> httpx.Response:
    """One request as a car sends it: a busy or throttled answer is retried after its hint."""
    for _ in range(MAX_RETRIES):
        reply = await http.request(method, path, **kw)  # type: ignore[arg-type]
        if reply.status_code not in (429, 503):
            return reply
        RETRIES[0] += 1
        await asyncio.sleep(float(reply.headers.get("retry-after", "0.5")))
    return reply


async def open_session(http: httpx.AsyncClient, key: str) -> str | None:
    reply = await request(http, "POST", "/v1/sessions", headers={"Authorization": f"Bearer {key}"})
    return str(reply.json()["id"]) if reply.status_code == 201 else None


async def car(
    http: httpx.AsyncClient, key: str, session: str | None, number: int, *,
    rounds: int, latencies: list[float],
) -> int:  # fmt: skip
    headers = {"Authorization": f"Bearer {key}"}
    if session is None:
        return rounds * len(SCRIPT)
    errors = 0
    for round_ in range(rounds):
        for line in SCRIPT:
            started = time.perf_counter()
            answer = await request(
                http, "POST", f"/v1/sessions/{session}/turns/text",
                json={"text": line.format(car=number, round=round_)}, headers=headers,
            )  # fmt: skip
            latencies.append(time.perf_counter() - started)
            errors += answer.status_code != 200
    await http.delete(f"/v1/sessions/{session}", headers=headers)
    return errors


async def drive(
    url: str, keys: list[str], rounds: int, limit_s: float, before_timed: object
) -> tuple[int, float, list[float]]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=len(keys), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=limit_s, limits=limits) as http:
        # Every car connects first (its key verified once where its session opens).
        sessions = await asyncio.gather(*(open_session(http, k) for k in keys))
        before_timed()  # type: ignore[operator]
        started = time.perf_counter()
        errors = await asyncio.wait_for(
            asyncio.gather(
                *(car(http, k, s, i, rounds=rounds, latencies=latencies)
                  for i, (k, s) in enumerate(zip(keys, sessions, strict=True)))
            ),
            timeout=limit_s,
        )  # fmt: skip
        return sum(errors), time.perf_counter() - started, latencies


def run(name: str, replicas: int, pg: PostgresServer | None, args: argparse.Namespace) -> Result:
    root = Path(tempfile.mkdtemp(prefix=f"fleet-{name}-"))
    url = pg.create_database() if pg is not None else None
    keys = make_keys(args.cars, root, url)
    ports = [free_port() for _ in range(replicas)]
    processes = [start_replica(root, port, url) for port in ports]
    balancer = None
    try:
        target = f"http://127.0.0.1:{ports[0]}"
        if replicas > 1:
            balancer = HAProxy({f"r{i}": port for i, port in enumerate(ports)})
            balancer.start()
            target = balancer.url
        if url is not None:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")

        def reset_counts() -> None:
            RETRIES[0] = 0
            if url is not None:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("SELECT pg_stat_statements_reset()")

        errors, seconds, latencies = asyncio.run(
            drive(target, keys, args.rounds, args.limit_s, reset_counts)
        )
        count = statements(url) if url is not None else None
        peaks = tuple(peak_rss_mb(p.pid) for p in processes)
    finally:
        if balancer is not None:
            balancer.stop()
        for process in processes:
            process.terminate()
            process.wait(timeout=60)
    return Result(name, len(latencies), errors, seconds, tuple(latencies), count, peaks, RETRIES[0])


def report(results: list[Result]) -> None:
    base = results[0]
    heads = ("turns", "err", "retry", "turns/s", "x", "p50 ms", "p95 ms", "p99 ms", "x p95")
    widths = (7, 5, 6, 9, 6, 9, 9, 9, 7)
    print(f"{'config':<14}" + "".join(f"{h:>{w}}" for h, w in zip(heads, widths, strict=True))
          + f"{'PG stmts/turn':>15}{'peak MB/replica':>17}")  # fmt: skip
    for r in results:
        per_turn = f"{r.statements / r.turns:.1f}" if r.statements is not None else "-"
        peak = "/".join(f"{m:.0f}" for m in r.peak_rss_mb)
        print(f"{r.name:<14}{r.turns:>7}{r.errors:>5}{r.retries:>6}{r.rate:>9.1f}"
              f"{r.rate / base.rate:>6.2f}"
              f"{r.pct(0.5):>9.1f}{r.pct(0.95):>9.1f}{r.pct(0.99):>9.1f}"
              f"{r.pct(0.95) / base.pct(0.95):>7.2f}{per_turn:>15}{peak:>17}")  # fmt: skip
    print(json.dumps([_as_json(r) for r in results]))


def _as_json(r: Result) -> dict[str, object]:
    per_turn = None if r.statements is None else round(r.statements / r.turns, 2)
    return {
        "config": r.name, "turns": r.turns, "errors": r.errors,
        "turns_per_s": round(r.rate, 1), "p50_ms": round(r.pct(0.5), 1),
        "p95_ms": round(r.pct(0.95), 1), "p99_ms": round(r.pct(0.99), 1),
        "pg_statements_per_turn": per_turn, "peak_rss_mb": [round(m) for m in r.peak_rss_mb],
        "retries": r.retries,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cars", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="script rounds per car (3 turns)")
    parser.add_argument("--replicas", type=int, action="append", help="default: 1, 2, 4")
    parser.add_argument("--limit-s", type=float, default=300.0, help="per configuration")
    args = parser.parse_args()
    if not 1 <= args.cars <= 1000 or not 1 <= args.rounds <= 20:
        parser.error("--cars must be 1..1000 and --rounds 1..20")
    counts = args.replicas or [1, 2, 4]
    results = [run("sqlite-1", 1, None, args)]
    pg = PostgresServer("-c shared_preload_libraries=pg_stat_statements")
    pg.start()
    try:
        results += [run(f"postgres-{n}", n, pg, args) for n in counts]
    finally:
        pg.stop()
    report(results)


if __name__ == "__main__":
    main()
