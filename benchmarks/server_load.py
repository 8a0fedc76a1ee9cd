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

Capacity (``--capacity``): N streams that talk without pause (the utterance
again and again, in real time, each stream starting at a random point of
it) for ``--rounds`` utterances each; N grows over ``--levels`` until the
p95 of speech_ended -> reply passes 1 s, and the largest N that kept it
under 1 s, divided by the CPU cores, is the streams per core at p95 <= 1 s
(``[server.admission] streams_per_core``). Bounded: at most ``--max-streams``
streams and ``--rounds`` utterances per stream, loopback only.

    .venv/bin/python benchmarks/server_load.py --capacity --levels 4,8,12,16,24,32

Admission (``--admission C``): N > C cars talk at once, first against a
server without admission control, then against one that admits C real-time
streams and tells the rest ``busy`` (HTTP 503 on the WebSocket upgrade,
``Retry-After``) instead of queueing them; reported side by side: the
answered streams' p95 and how fast a refusal comes.

    .venv/bin/python benchmarks/server_load.py --admission 12 --sessions 24 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
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


def start_server(
    data_dir: Path, port: int, extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``drivetalk serve`` on loopback with TTS off (``extra``: more environment)."""
    env = {**os.environ, "DRIVETALK_DATA_DIR": str(data_dir), **(extra or {})}
    env["DRIVETALK_SERVER__LIMITS__FRAME_RATE"] = "50"
    env.setdefault("DRIVETALK_SERVER__LOGGING__LEVEL", "warning")  # no access line per request
    command = [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port), "--no-tts"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr)


def create_keys(data_dir: Path, count: int) -> list[str]:
    """One key per simulated vehicle."""
    from assistant.server.keys import KeyStore

    data_dir.mkdir(parents=True, exist_ok=True)
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


@dataclass
class Talk:
    """One continuously talking stream: its replies' lateness, or how it was refused."""

    latencies: list[float] = field(default_factory=list)
    refused_after: float | None = None
    error: str | None = None


async def talker(base: str, key: str, pcm: bytes, rounds: int, offset: float) -> Talk:
    """Stream the utterance ``rounds`` times back to back in real time; time every reply."""
    headers = {"Authorization": f"Bearer {key}"}
    asked = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http:
        created = await http.post("/v1/sessions", json={"audio": False})
    if created.status_code == 503:
        return Talk(refused_after=time.perf_counter() - asked)
    if created.status_code != 201:
        return Talk(error=f"session: HTTP {created.status_code}")
    url = base.replace("http", "ws") + f"/v1/sessions/{created.json()['id']}/stream"
    await asyncio.sleep(offset)  # streams do not all end their utterances at once
    asked = time.perf_counter()
    try:
        ws = await websockets.connect(url, additional_headers=headers, max_size=None)
    except websockets.InvalidStatus as refused:
        if refused.response.status_code == 503:
            return Talk(refused_after=time.perf_counter() - asked)
        return Talk(error=f"stream: HTTP {refused.response.status_code}")
    async with ws:
        start = {"type": "start", "format": {"rate": 22050, "channels": 1, "sample": "s16le"}}
        await ws.send(json.dumps(start))
        if json.loads(await ws.recv()).get("type") != "ready":
            return Talk(error="start refused")
        return await _talk(ws, pcm, rounds)


async def _talk(ws: websockets.ClientConnection, pcm: bytes, rounds: int) -> Talk:
    step = 22050 * 2 * FRAME_MS // 1000
    frames = [pcm[o : o + step] for o in range(0, len(pcm), step)] * rounds
    began = time.perf_counter()
    talk = Talk()

    async def send() -> None:
        for index, frame in enumerate(frames):
            await asyncio.sleep(max(0.0, began + index * FRAME_MS / 1000 - time.perf_counter()))
            await ws.send(frame)

    sender = asyncio.create_task(send())
    ended: float | None = None
    try:
        async with asyncio.timeout(REPLY_TIMEOUT):
            while len(talk.latencies) < rounds:
                frame = await ws.recv()
                if isinstance(frame, bytes):
                    continue
                event = json.loads(frame)
                if event["type"] == "speech_ended":
                    ended = time.perf_counter()
                elif event["type"] == "error":
                    talk.error = f"{event['code']}: {event['message']}"
                    return talk
                elif event["type"] == "reply" and ended is not None:
                    talk.latencies.append(time.perf_counter() - ended)
                    ended = None
    except TimeoutError:
        talk.error = f"no reply within {REPLY_TIMEOUT} s"
    finally:
        sender.cancel()
    return talk


def talk_row(label: str, streams: int, talks: list[Talk], wall: float) -> tuple[str, float | None]:
    """A Markdown row for one level, and its p95 (None if nothing was answered)."""
    late = [x for t in talks for x in t.latencies]
    refused = [t.refused_after for t in talks if t.refused_after is not None]
    errors = sorted({t.error for t in talks if t.error})
    cores = os.cpu_count() or 1

    def ms(values: list[float], q: float) -> str:
        return f"{percentile(values, q) * 1000:.0f}" if values else "-"

    p95 = percentile(late, 95) if late else None
    row = (
        f"| {label} | {streams} | {streams / cores:.1f} | {len(late)} | {ms(late, 50)} "
        f"| {ms(late, 95)} | {len(refused)} | {ms(refused, 95)} | {len(errors)} | {wall:.0f} |"
    )
    if errors:
        row += f"\n\nerrors: {errors[:3]}"
    return row, p95


TALK_HEADER = (
    "| admission | streams | per core | replies | speech_ended->reply p50 ms | p95 | busy "
    "| busy in p95 ms | errors | wall s |\n|---|---|---|---|---|---|---|---|---|---|"
)


async def talkers(base: str, keys: list[str], pcm: bytes, rounds: int) -> list[Talk]:
    """All ``keys`` talking at once, each from a random point of the utterance."""
    length = len(pcm) / 44100
    rng = random.Random(len(keys))
    return list(
        await asyncio.gather(*(talker(base, k, pcm, rounds, rng.uniform(0, length)) for k in keys))
    )


async def warm_up(base: str, key: str, pcm: bytes) -> None:
    """One upload per core at once, so every pooled decoder is warm before timing starts.

    A fresh recognizer composes its decoding graph during its first
    utterance (about 9x slower); a server that has run a while has warm ones.
    """
    body = io.BytesIO()
    with wave.open(body, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(22050)
        wav.writeframes(pcm)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=300) as http:
        created = await http.post("/v1/sessions", json={"audio": False})
        if created.status_code != 201:
            raise SystemExit(f"warm-up session: HTTP {created.status_code}: {created.text}")
        session = created.json()["id"]
        url = f"/v1/sessions/{session}/turns/audio"
        await asyncio.gather(
            *(
                http.post(url, content=body.getvalue(), headers={"Content-Type": "audio/wav"})
                for _ in range(os.cpu_count() or 1)
            )
        )
        await http.delete(f"/v1/sessions/{session}")


#: Admission control off, to see what happens without it.
UNLIMITED = {
    "DRIVETALK_SERVER__ADMISSION__MAX_ACTIVE": "100000",
    "DRIVETALK_SERVER__ADMISSION__MAX_DECODER_WAITING": "100000",
}


def capacity(options: argparse.Namespace, root: Path, pcm: bytes) -> None:
    """Grow the number of talking streams until p95 passes 1 s; print the table and result."""
    levels = [n for n in options.levels if n <= options.max_streams]
    print(TALK_HEADER)
    best = 0
    for level in levels:
        talks, wall = run_talkers(options, root / f"cap-{level}", pcm, level, UNLIMITED)
        row, p95 = talk_row("off", level, talks, wall)
        print(row, flush=True)
        if p95 is None or p95 > 1.0 or any(t.error for t in talks):
            break
        best = level
    cores = os.cpu_count() or 1
    print(f"\nstreams at p95 <= 1 s: {best} on {cores} cores = {best / cores:.1f} per core")


def admission(options: argparse.Namespace, root: Path, pcm: bytes) -> None:
    """N cars against a server that admits ``--admission`` streams: who waits, who is told."""
    env = {"DRIVETALK_SERVER__ADMISSION__MAX_ACTIVE": str(options.admission)}
    label = f"max_active={options.admission}"
    print(TALK_HEADER)
    for level in options.sessions or [2 * options.admission]:
        for name, extra in (("off", UNLIMITED), (label, env)):
            talks, wall = run_talkers(options, root / f"adm-{level}-{name}", pcm, level, extra)
            print(talk_row(name, level, talks, wall)[0], flush=True)


def run_talkers(
    options: argparse.Namespace, data_dir: Path, pcm: bytes, streams: int, env: dict[str, str]
) -> tuple[list[Talk], float]:
    """A fresh server, ``streams`` keys, everyone talking for ``--rounds`` utterances."""
    keys = create_keys(data_dir, streams)
    base = f"http://127.0.0.1:{options.port}"
    server = start_server(data_dir, options.port, env)
    try:
        wait_ready(base, keys[0], server)
        asyncio.run(warm_up(base, keys[0], pcm))
        started = time.perf_counter()
        talks = asyncio.run(talkers(base, keys, pcm, options.rounds))
        return talks, time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)


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
    parser.add_argument(
        "--capacity", action="store_true", help="find the streams per core at p95 <= 1 s"
    )
    parser.add_argument(
        "--levels",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[4, 8, 12, 16, 24, 32],
        help="stream counts for --capacity, comma-separated",
    )
    parser.add_argument("--max-streams", type=int, default=64, help="bound for --capacity")
    parser.add_argument("--rounds", type=int, default=3, help="utterances per talking stream")
    parser.add_argument("--admission", type=int, help="the server admits this many streams")
    options = parser.parse_args()
    if options.rounds < 1 or options.max_streams < 1 or min(options.levels) < 1:
        parser.error("--rounds, --max-streams and --levels must be positive")
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
        if options.capacity or options.admission:
            (capacity if options.capacity else admission)(options, root, pcm)
            return
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
