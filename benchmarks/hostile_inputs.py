"""The fleet server under hostile input: its peak memory and how ``/healthz`` answers meanwhile.

Starts ``drivetalk serve --no-tts`` on 127.0.0.1 (real uvicorn, Korean vosk
model), then runs each scenario in turn while a prober asks ``/healthz``
every 20 ms and a sampler reads the server's resident memory every 20 ms:

* ``idle``: nothing (the baseline);
* ``long_frame``: one 8 MiB WebSocket frame declared u8 at 1 kHz (2.3 hours
  of audio) per stream, ``--frames`` streams one after another;
* ``deep_json``: ``--messages`` control messages nested 5,000 deep on one stream;
* ``wrong_secrets``: ``--requests`` REST requests with wrong secrets for a real
  key id (10 at a time), each costing a scrypt unless throttled;
* ``bad_handshakes``: ``--requests`` / 3 WebSocket handshakes with wrong keys;
* ``text_flood``: ``--turns`` typed turns sent at once over one stream.

Everything is bounded: counts are options, every wait has a timeout, and
the server is loopback-only. ``--repo DIR`` runs another checkout's server
(e.g. a ``git archive`` of the code before a change) with this same client.

    .venv/bin/python benchmarks/hostile_inputs.py
    .venv/bin/python benchmarks/hostile_inputs.py --repo /tmp/before --frames 1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

ROOT = Path(__file__).resolve().parents[1]
OPERATOR_TOKEN = "benchmark-operator-token-0123456789"
PROBE_S = 0.02
CLI = [sys.executable, "-m", "assistant.cli"]
SCENARIO_TIMEOUT = 120.0


@dataclass
class Figures:
    """One scenario's outcome."""

    name: str
    outcomes: dict[str, int] = field(default_factory=dict)
    rss_peak_mb: float = 0.0
    healthz_ms: list[float] = field(default_factory=list)
    healthz_failed: int = 0
    wall_s: float = 0.0

    def count(self, outcome: str) -> None:
        """Tally one outcome."""
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MiB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return 0.0
    return 0.0


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


class Server:
    """``drivetalk serve`` of a checkout, its base URL and two keys."""

    def __init__(self, repo: Path, data_dir: Path, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.ws = f"ws://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DRIVETALK_")}
        env.update(
            DRIVETALK_DATA_DIR=str(data_dir),
            DRIVETALK_OPERATOR_TOKEN=OPERATOR_TOKEN,
            DRIVETALK_SERVER__LIMITS__SESSIONS_PER_KEY="100",
            PYTHONPATH=str(repo),
            XDG_CONFIG_HOME=str(data_dir / "xdg"),
        )
        self.env = env
        self.key = self._key("car-1")
        self.victim = self._key("car-2")
        command = [*CLI, "serve", "--no-tts", "--port", str(port)]
        self.process = subprocess.Popen(
            command, env=env, cwd=repo, stdout=subprocess.DEVNULL, stderr=sys.stderr
        )

    def _key(self, vehicle: str) -> str:
        made = subprocess.run(
            [*CLI, "keys", "create", "--tenant", "fleet", "--vehicle", vehicle],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return made.stdout.strip()

    @property
    def auth(self) -> dict[str, str]:
        """Headers with the good key."""
        return {"Authorization": f"Bearer {self.key}"}

    def wait_ready(self) -> None:
        """Poll /readyz (which loads the model) until 200."""
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("server exited")
            try:
                if httpx.get(f"{self.base}/readyz", headers=self.auth, timeout=60).is_success:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise SystemExit("server not ready")

    def stop(self) -> None:
        """SIGTERM, then wait."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)

    async def session(self, http: httpx.AsyncClient) -> str:
        """A new session of the good key."""
        created = await http.post(f"{self.base}/v1/sessions", headers=self.auth, json={})
        created.raise_for_status()
        return str(created.json()["id"])


async def watch(server: Server, figures: Figures, stop: asyncio.Event) -> None:
    """Probe /healthz and sample the RSS until ``stop``."""
    async with httpx.AsyncClient(timeout=30) as http:
        while not stop.is_set():
            figures.rss_peak_mb = max(figures.rss_peak_mb, rss_mb(server.process.pid))
            started = time.perf_counter()
            try:
                (await http.get(f"{server.base}/healthz")).raise_for_status()
                figures.healthz_ms.append((time.perf_counter() - started) * 1000)
            except httpx.HTTPError:
                figures.healthz_failed += 1
            figures.rss_peak_mb = max(figures.rss_peak_mb, rss_mb(server.process.pid))
            await asyncio.sleep(PROBE_S)


async def stream(server: Server, fmt: dict[str, Any]) -> websockets.ClientConnection:
    """A started stream of a new session (the caller closes it)."""
    async with httpx.AsyncClient(timeout=60) as http:
        session = await server.session(http)
    ws = await websockets.connect(
        f"{server.ws}/v1/sessions/{session}/stream",
        additional_headers=server.auth,
        max_size=None,
        open_timeout=60,
    )
    await ws.send(json.dumps({"type": "start", "format": fmt}))
    json.loads(await ws.recv())  # ready
    return ws


async def outcome_of(ws: websockets.ClientConnection, timeout: float) -> str:
    """The next error code, or how the socket closed, or 'nothing'."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                frame = await ws.recv()
                if isinstance(frame, str):
                    event = json.loads(frame)
                    if event.get("type") == "error":
                        return f"error {event['code']}"
    except websockets.ConnectionClosed as closed:
        return f"closed {closed.rcvd.code if closed.rcvd else 'abnormally'}"
    except TimeoutError:
        return "nothing"


async def idle(server: Server, figures: Figures, options: argparse.Namespace) -> None:
    """Three quiet seconds."""
    del server, options
    await asyncio.sleep(3.0)
    figures.count("quiet")


async def long_frame(server: Server, figures: Figures, options: argparse.Namespace) -> None:
    """8 MiB frames of u8 at 1 kHz: 8,388,608 samples, 2.3 hours of audio each."""
    for _ in range(options.frames):
        ws = await stream(server, {"rate": 1000, "channels": 1, "sample": "u8"})
        try:
            await ws.send(b"\x80" * (8 * 1024 * 1024))
            figures.count(await outcome_of(ws, 60.0))
        finally:
            await ws.close()


async def deep_json(server: Server, figures: Figures, options: argparse.Namespace) -> None:
    """Control messages nested 5,000 deep (10 kB each), then a normal typed turn."""
    nested = '{"type": "text", "text": ' + "[" * 5000 + "]" * 5000 + "}"
    ws = await stream(server, {"rate": 16000, "channels": 1, "sample": "s16le"})
    try:
        for _ in range(options.messages):
            try:
                await ws.send(nested)
            except websockets.ConnectionClosed:
                figures.count("send after close")
                break
            figures.count(await outcome_of(ws, 10.0))
    finally:
        await ws.close()


async def wrong_secrets(server: Server, figures: Figures, options: argparse.Namespace) -> None:
    """REST requests with wrong secrets for a real key id, ten at a time."""
    key_id = server.victim.split("_")[1]
    wrong = {"Authorization": f"Bearer dtk_{key_id}_{'W' * 43}"}
    limit = asyncio.Semaphore(10)
    async with httpx.AsyncClient(timeout=60) as http:

        async def one() -> None:
            async with limit:
                response = await http.get(f"{server.base}/v1/sessions/x", headers=wrong)
                figures.count(f"HTTP {response.status_code}")

        await asyncio.gather(*(one() for _ in range(options.requests)))


async def bad_handshakes(server: Server, figures: Figures, options: argparse.Namespace) -> None:
    """WebSocket starts carrying wrong keys for a real key id, ten at a time."""
    key_id = server.victim.split("_")[1]
    start = {"type": "start", "format": {"rate": 16000}, "key": f"dtk_{key_id}_{'H' * 43}"}
    limit = asyncio.Semaphore(10)

    async def one() -> None:
        async with limit, websockets.connect(f"{server.ws}/v1/sessions/x/stream") as ws:
            await ws.send(json.dumps(start))
            figures.count(await outcome_of(ws, 30.0))

    await asyncio.gather(*(one() for _ in range(options.requests // 3)))


async def text_flood(server: Server, figures: Figures, options: argparse.Namespace) -> None:
    """Typed turns sent as fast as possible over one stream, read as they come."""
    ws = await stream(server, {"rate": 16000, "channels": 1, "sample": "s16le"})

    async def flood() -> None:
        for _ in range(options.turns):
            await ws.send(json.dumps({"type": "text", "text": "help"}))

    sender = asyncio.create_task(flood())
    answered = 0
    try:
        async with asyncio.timeout(60.0):
            while answered < options.turns:
                frame = await ws.recv()
                event = json.loads(frame) if isinstance(frame, str) else {}
                if event.get("type") == "reply":
                    figures.count("reply")
                elif event.get("type") == "error":
                    figures.count(f"error {event['code']}")
                else:
                    continue
                answered += 1
    except TimeoutError:
        figures.count("unanswered after 60 s")
    except websockets.ConnectionClosed as closed:
        figures.count(f"closed {closed.rcvd.code if closed.rcvd else 'abnormally'}")
    finally:
        sender.cancel()
        await ws.close()


Scenario = Callable[[Server, Figures, argparse.Namespace], Awaitable[None]]
#: In this order; the long frame last, as it may leave memory behind (before the fix).
SCENARIOS: dict[str, Scenario] = {
    "idle": idle,
    "deep_json": deep_json,
    "wrong_secrets": wrong_secrets,
    "bad_handshakes": bad_handshakes,
    "text_flood": text_flood,
    "long_frame": long_frame,
}


async def run(server: Server, name: str, options: argparse.Namespace) -> Figures:
    """One scenario with the prober and the sampler running beside it."""
    figures = Figures(name)
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch(server, figures, stop))
    await asyncio.sleep(0.5)  # a few probes before
    started = time.perf_counter()
    try:
        async with asyncio.timeout(SCENARIO_TIMEOUT):
            await SCENARIOS[name](server, figures, options)
    except TimeoutError:
        figures.count(f"scenario cut at {SCENARIO_TIMEOUT:.0f} s")
    except (websockets.WebSocketException, httpx.HTTPError, OSError) as exc:
        figures.count(f"client error {type(exc).__name__}")
    figures.wall_s = time.perf_counter() - started
    await asyncio.sleep(0.5)  # and a few after
    stop.set()
    await watcher
    return figures


def row(figures: Figures) -> str:
    """One Markdown table row."""
    ms = figures.healthz_ms or [float("nan")]
    outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(figures.outcomes.items()))
    return (
        f"| {figures.name} | {outcomes} | {figures.rss_peak_mb:.0f} "
        f"| {percentile(ms, 50):.1f} | {percentile(ms, 99):.1f} | {max(ms):.0f} "
        f"| {figures.healthz_failed} | {figures.wall_s:.1f} |"
    )


def main() -> None:
    """Parse options, start the server, run the scenarios, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, default=ROOT, help="checkout whose server runs")
    parser.add_argument("--port", type=int, default=18766)
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS))
    options = parser.parse_args()
    names = options.only or list(SCENARIOS)
    with tempfile.TemporaryDirectory(prefix="drivetalk-hostile-") as tmp:
        server = Server(options.repo.resolve(), Path(tmp), options.port)
        try:
            server.wait_ready()
            print(f"server {options.repo}; load average {os.getloadavg()[0]:.1f}", flush=True)
            print(
                "| scenario | outcomes | RSS peak MiB | /healthz p50 ms | p99 | max "
                "| /healthz failed | wall s |"
            )
            print("|---|---|---|---|---|---|---|---|")
            for name in names:
                print(row(asyncio.run(run(server, name, options))), flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
