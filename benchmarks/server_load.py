"""Load test of the fleet server: N concurrent streaming sessions on one process.

Starts ``drivetalk serve`` (real uvicorn, Korean vosk model, TTS off so the
figures are recognition + dialog), one API key per simulated vehicle, then
N clients that each stream the same espeak-ng Korean utterance over the
WebSocket in real time (100 ms frames every 100 ms) and wait for the reply.

Reported per run: errors, p50/p95 of end-of-speech -> reply (the last speech
frame sent to the reply event received; includes the endpointer's trailing
silence wait) and of speech_ended -> reply (server work after the endpoint),
and the server's resident memory idle (model loaded), at peak and after.

    .venv/bin/python benchmarks/server_load.py --sessions 1 --sessions 50
    .venv/bin/python benchmarks/server_load.py --sessions 50 --spread 60

With ``--spread`` all N sessions are connected from the start but start
speaking one after another over that many seconds (push-to-talk style: a
client sends audio only while speaking), as cars in a fleet would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets

FRAME_MS = 100
#: Generous: with 50 speakers at once on 2 cores, decoding is the queue.
REPLY_TIMEOUT = 900
LEAD_S = 0.5
TAIL_S = 1.5
TEXT = "안녕하세요 오늘 날씨가 좋네요"


@dataclass
class Result:
    """One client's outcome."""

    eos_to_reply: float | None = None
    ended_to_reply: float | None = None
    error: str | None = None


@dataclass
class Run:
    """One load level's figures."""

    sessions: int
    results: list[Result] = field(default_factory=list)
    rss_idle_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_after_mb: float = 0.0
    wall_s: float = 0.0


def make_utterance(root: Path) -> tuple[bytes, float]:
    """22.05 kHz mono PCM of the test sentence with silence around it; speech end time."""
    speech = root / "speech.wav"
    padded = root / "utterance.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(speech), TEXT], check=True)
    subprocess.run(["sox", str(speech), str(padded), "pad", str(LEAD_S), str(TAIL_S)], check=True)
    with wave.open(str(speech)) as wav:
        speech_s = wav.getnframes() / wav.getframerate()
    with wave.open(str(padded)) as wav:
        return wav.readframes(wav.getnframes()), LEAD_S + speech_s


def raw_decode_seconds(pcm: bytes) -> float:
    """Decode the utterance with the engine alone (no server), for comparison."""
    from assistant.asr.locate import select_model
    from assistant.asr.vosk_engine import VoskTranscriber
    from assistant.audio.convert import PcmConverter
    from assistant.audio.formats import PcmFormat

    transcriber = VoskTranscriber.from_path(select_model().path)
    converter = PcmConverter(PcmFormat(22050), transcriber.sample_rate)
    started = time.perf_counter()
    session = transcriber.open_session()
    step = 22050 * 2 * FRAME_MS // 1000
    for offset in range(0, len(pcm), step):
        session.accept(converter.convert(pcm[offset : offset + step]))
    session.finish()
    session.close()
    return time.perf_counter() - started


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


async def client(base: str, key: str, pcm: bytes, speech_end: float, delay: float = 0.0) -> Result:
    """Connect, wait ``delay`` s (connected, silent), stream the utterance; time the reply."""
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http:
        created = await http.post("/v1/sessions", json={"audio": False})
        if created.status_code != 201:
            return Result(error=f"session: HTTP {created.status_code}")
        session = created.json()["id"]
    url = base.replace("http", "ws") + f"/v1/sessions/{session}/stream"
    step = 22050 * 2 * FRAME_MS // 1000
    async with websockets.connect(url, additional_headers=headers, max_size=None) as ws:
        start = {"type": "start", "format": {"rate": 22050, "channels": 1, "sample": "s16le"}}
        await ws.send(json.dumps(start))
        ready = json.loads(await ws.recv())
        if ready.get("type") != "ready":
            return Result(error=f"start: {ready}")
        await asyncio.sleep(delay)
        began = time.perf_counter()
        timing: dict[str, float] = {}

        async def send() -> None:
            for index, offset in enumerate(range(0, len(pcm), step)):
                await asyncio.sleep(max(0.0, began + index * FRAME_MS / 1000 - time.perf_counter()))
                await ws.send(pcm[offset : offset + step])

        sender = asyncio.create_task(send())
        try:
            async with asyncio.timeout(REPLY_TIMEOUT):
                while True:
                    frame = await ws.recv()
                    if isinstance(frame, bytes):
                        continue
                    event = json.loads(frame)
                    if event["type"] == "speech_ended":
                        timing["ended"] = time.perf_counter()
                    elif event["type"] == "error":
                        return Result(error=f"{event['code']}: {event['message']}")
                    elif event["type"] == "reply":
                        now = time.perf_counter()
                        return Result(
                            eos_to_reply=now - (began + speech_end),
                            ended_to_reply=now - timing.get("ended", now),
                        )
        except TimeoutError:
            return Result(error=f"no reply within {REPLY_TIMEOUT} s")
        finally:
            sender.cancel()


async def load(
    base: str, keys: list[str], pcm: bytes, speech_end: float, pid: int, *, spread: float
) -> Run:
    """Run len(keys) connected clients, speaking within ``spread`` s; sample the RSS."""
    run = Run(sessions=len(keys), rss_idle_mb=rss_mb(pid))
    peak = run.rss_idle_mb

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_mb(pid))
            await asyncio.sleep(0.2)

    sampler = asyncio.create_task(sample())
    started = time.perf_counter()
    delays = [spread * i / len(keys) for i in range(len(keys))]
    run.results = await asyncio.gather(
        *(client(base, k, pcm, speech_end, d) for k, d in zip(keys, delays, strict=True))
    )
    run.wall_s = time.perf_counter() - started
    sampler.cancel()
    run.rss_peak_mb = peak
    await asyncio.sleep(5.0)  # let the streams' recognizers be freed
    run.rss_after_mb = rss_mb(pid)
    return run


def report(run: Run) -> str:
    """One Markdown table row."""
    ok = [r for r in run.results if r.error is None]
    errors = [r.error for r in run.results if r.error]
    eos = [r.eos_to_reply for r in ok if r.eos_to_reply is not None]
    ended = [r.ended_to_reply for r in ok if r.ended_to_reply is not None]

    def ms(values: list[float], q: float) -> str:
        return f"{percentile(values, q) * 1000:.0f}" if values else "-"

    row = (
        f"| {run.sessions} | {len(errors)} | {ms(eos, 50)} | {ms(eos, 95)} | {ms(ended, 50)} "
        f"| {ms(ended, 95)} | {run.rss_idle_mb:.0f} | {run.rss_peak_mb:.0f} "
        f"| {run.rss_after_mb:.0f} | {run.wall_s:.1f} |"
    )
    if errors:
        row += f"\n\nerrors: {sorted(set(errors))[:5]}"
    return row


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """``drivetalk serve`` on loopback with TTS off."""
    env = {**os.environ, "DRIVETALK_DATA_DIR": str(data_dir)}
    env["DRIVETALK_SERVER__LIMITS__FRAME_RATE"] = "50"
    command = [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port), "--no-tts"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr)


def create_keys(data_dir: Path, count: int) -> list[str]:
    """One key per simulated vehicle."""
    from assistant.server.keys import KeyStore

    store = KeyStore.open(data_dir / "server" / "keys.sqlite3")
    try:
        return [store.create("fleet", f"car-{i}").secret for i in range(count)]
    finally:
        store.close()


def wait_ready(base: str, key: str, server: subprocess.Popen[bytes]) -> None:
    """Poll /readyz (which loads the model) until 200."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("server exited")
        try:
            response = httpx.get(
                f"{base}/readyz", headers={"Authorization": f"Bearer {key}"}, timeout=60
            )
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("server not ready")


def main() -> None:
    """Parse options, run each load level against a fresh server, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, action="append", help="repeatable; default 1, 50")
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument(
        "--spread",
        type=float,
        default=0.0,
        help="seconds over which the (all connected) clients start speaking; 0 = all at once",
    )
    options = parser.parse_args()
    levels = options.sessions or [1, 50]
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        raise SystemExit("needs espeak-ng and sox")
    with tempfile.TemporaryDirectory(prefix="drivetalk-load-") as tmp:
        root = Path(tmp)
        pcm, speech_end = make_utterance(root)
        print(f"utterance: {len(pcm) / 44100:.2f} s, speech ends at {speech_end:.2f} s")
        decode = raw_decode_seconds(pcm)
        rtf = decode / (len(pcm) / 44100)
        print(f"engine alone, same utterance: decode {decode:.2f} s (RTF {rtf:.2f})")
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(
            "| sessions | errors | eos->reply p50 ms | p95 | speech_ended->reply p50 ms | p95 "
            "| RSS idle MiB | peak | after | wall s |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for level in levels:
            data_dir = root / f"data-{level}"
            keys = create_keys(data_dir, level)
            base = f"http://127.0.0.1:{options.port}"
            server = start_server(data_dir, options.port)
            try:
                wait_ready(base, keys[0], server)
                run = asyncio.run(
                    load(base, keys, pcm, speech_end, server.pid, spread=options.spread)
                )
                print(report(run), flush=True)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=120)


if __name__ == "__main__":
    main()
