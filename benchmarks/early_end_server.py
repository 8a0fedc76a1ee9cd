"""End of speech -> first reply audio through the server's WebSocket stream, per answer kind.

Every case of the shipped replay set (51 cases, 97 turns) is spoken to a real
``drivetalk`` server (uvicorn on loopback, in this process) over
``/v1/sessions/{id}/stream``, paced in real time in ``--chunk-ms`` frames,
each case a fresh session of its own tenant (the demo organisation, the
manifest's clock). Two servers run side by side, cases alternating between
them, so both see the same machine load: one with the fixed pause
(``early_silence_ms`` = ``trailing_silence_ms``, no early end), one with the
configuration under test. Everything after the audio is the real server:
silero VAD endpointing, the dialog's ``complete_enough`` on each partial,
the decoder pool, parse, dialog, espeak-ng TTS, the WAV frame.

The only model here is Korean, so the recognizer's *text* is scripted: a
real vosk session decodes every chunk and flushes at the end (its real cost),
while the partials are the expected transcript's words revealed in proportion
to the time spoken, ``--lag`` ms behind the audio, and the final is the words
spoken up to the endpoint (so a premature cut-off gives a prefix, and the rest
becomes a second utterance, as it would).

Configurations (``--before`` adds the previous pass's): the fixed 800 ms
pause; *before*: 200 ms for commands, 192 ms for closed answers, "no" keeping
the long pause, no re-join; *after*: this pass's ``[asr]`` defaults ("no" a
closed answer, speech within ``rejoin_ms`` of an early end joined to it).
Between turns the client sends digital silence until the reply came, as a
gated microphone would.

Per turn, measured on the client's clock from the moment the last speech
sample was due (the set's generator ends speech ``TRAIL_S`` before the end
of each file): ``speech_ended`` arrives, ``final`` arrives, the reply's WAV
frame arrives (= first reply audio). A *premature cut-off* is an utterance
ended by silence more than 150 ms before the true end of the speech. The
*fast path* is the turns whose whole answer is complete in its context (a
short pause ends them).

    .venv/bin/python benchmarks/early_end_server.py [--chunk-ms 20] [--lag 150] [--cases N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import websockets

from assistant.asr.base import StreamingSession, Transcriber
from assistant.asr.events import Final, Partial
from assistant.audio.endpoint import Completeness
from assistant.config import ASRSettings, ServerLimits, ServerSettings, Settings
from assistant.dialog.early_end import answer_kind
from assistant.models import Intent
from assistant.replay.manifest import Case
from assistant.server.app import create_app
from assistant.server.assembly import dialog_conversations
from connectors.local.demo import open_demo_store

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from early_end_common import (  # noqa: E402
    CUT_TOLERANCE,
    RATE,
    add_timing_arguments,
    is_body,
    korean_vosk,
    machine,
    ms,
    replay_set,
    turn_audio,
)

from tests.assistant.server.live import OPERATOR_ENV, Live, make_key, serve, server_settings  # noqa: E402

FORMAT = {"rate": RATE, "channels": 1, "sample": "s16le"}


@dataclass
class Script:
    """What the driver is saying right now: words and when (perf_counter seconds)."""

    words: tuple[str, ...] = ()
    start: float = 0.0
    end: float = 0.0
    lag: float = 0.15
    #: Words already handed out in finals of this turn (a cut-off's rest follows).
    used: int = 0
    #: The recognizer session of this turn's last utterance.
    session: Any = None

    def spoken(self, now: float, lag: float) -> int:
        """How many words were spoken ``lag`` seconds before ``now``."""
        fraction = (now - lag - self.start) / max(self.end - self.start, 1e-3)
        return max(0, min(len(self.words), round(fraction * len(self.words))))


class ScriptedSession:
    """A real vosk session's work, the script's text."""

    def __init__(self, inner: StreamingSession, script: Script) -> None:
        self.inner = inner
        self.script = script
        self._last = ""
        #: The script's word index the last partial reached.
        self.shown = script.used
        self.finished = False

    @property
    def constrained(self) -> bool:
        return self.inner.constrained

    def accept(self, pcm: bytes) -> list[Partial]:
        self.inner.accept(pcm)
        script = self.script
        upto = max(script.used, script.spoken(time.perf_counter(), script.lag))
        text = " ".join(script.words[script.used : upto])
        if text == self._last:
            return []
        self._last, self.shown = text, upto
        return [Partial(text)]

    def finish(self) -> Final:
        self.inner.finish()
        script = self.script
        upto = max(script.used, script.spoken(time.perf_counter(), 0.0))
        text = " ".join(script.words[script.used : upto])
        script.used = upto
        self._last = ""
        self.finished = True
        return Final(text=text)

    def interrupt(self) -> None:
        interrupt = getattr(self.inner, "interrupt", None)
        if interrupt is not None:
            interrupt()

    def close(self) -> None:
        self.inner.close()


class ScriptedTranscriber:
    """The Korean vosk model's decoding cost with the English script's words."""

    def __init__(self, inner: Transcriber, script: Script) -> None:
        self.inner = inner
        self.script = script

    @property
    def name(self) -> str:
        return "vosk"

    @property
    def sample_rate(self) -> int:
        return self.inner.sample_rate

    def open_session(
        self, grammar: Sequence[str] | None = None, *, alternatives: int | None = None
    ) -> StreamingSession:
        last = self.script.session
        if last is not None and not last.finished:
            # This turn's last utterance ended early on its partial (no flush):
            # the driver's next words start after the ones that partial showed.
            self.script.used = max(self.script.used, last.shown)
        inner = self.inner.open_session(grammar, alternatives=alternatives)
        self.script.session = ScriptedSession(inner, self.script)
        return self.script.session


@dataclass
class Row:
    """One turn through one server."""

    config: str
    turn: str  # case id and turn number
    kind: str
    text: str
    body: bool
    #: The whole answer is complete in its context (the fast path: a short pause).
    fast: bool = False
    ended: float | None = None  # speech_ended arrival - true end (s)
    final: float | None = None
    audio: float | None = None
    #: The last reply audio of the turn (after a continuation: the joined answer's).
    last_audio: float | None = None
    cut: bool = False
    #: A cut whose rest came back as a continuation (``final.continues``).
    rejoined: bool = False
    #: The endpointer's end of speech (stream time) - the true end: the VAD's share.
    vad_end: float | None = None


@dataclass
class Server:
    """One live server with its scripted recognizer and the conversations it made."""

    name: str
    live: Live
    script: Script
    made: list[Any] = field(default_factory=list)
    case_no: int = 0


@dataclass(frozen=True)
class Pauses:
    """The ``[asr]`` pauses a server runs with (ms)."""

    early: int
    answer: int
    rejoin: int = ASRSettings().rejoin_ms
    #: The previous pass: "no" keeps the long pause (it may begin a correction).
    no_waits: bool = False

    @property
    def name(self) -> str:
        if self.early >= ASRSettings().trailing_silence_ms:
            return "800 ms pause"
        if self.no_waits:
            return f"before: {self.early} / {self.answer} ms, 'no' waits"
        return f"after: {self.early} / {self.answer} ms, re-join {self.rejoin}"


def settings_for(root: Path, pauses: Pauses) -> Settings:
    base = server_settings(
        root,
        server=ServerSettings(
            limits=ServerLimits(frame_rate=200, sessions_per_key=200, audio_seconds=20)
        ),
    )
    asr = base.asr.model_copy(
        update={
            "early_silence_ms": pauses.early,
            "answer_silence_ms": pauses.answer,
            "rejoin_ms": pauses.rejoin,
        }
    )
    return base.model_copy(update={"asr": asr})


def pauses_of(text: str) -> Pauses:
    """``EARLY/CLOSED[/REJOIN]`` (ms) from the command line."""
    early, answer, *rest = (int(v) for v in text.split("/"))
    return Pauses(early, answer, rest[0]) if rest else Pauses(early, answer)


def no_waits(conversation: Any) -> None:
    """The previous pass's policy on ``conversation``: a "no" is never complete."""
    judge = conversation.complete_enough

    def complete_enough(partial: str, *, continues: bool = False) -> Completeness:
        if partial.strip() and conversation.runner.parse(partial).intent is Intent.DENY:
            return Completeness.NO
        return judge(partial, continues=False)  # nor was a continuation judged joined

    conversation.complete_enough = complete_enough


def start_server(
    root: Path, pauses: Pauses, vosk: Transcriber, now: datetime, *, lag: float, stack: Any
) -> Server:
    settings = settings_for(root, pauses)
    script = Script(lag=lag)
    transcriber = ScriptedTranscriber(vosk, script)
    made: list[Any] = []
    base = dialog_conversations(settings, lambda: now)

    async def conversations(*args: Any) -> Any:
        conversation = await base(*args)
        if pauses.no_waits:
            no_waits(conversation)
        made.append(conversation)
        return conversation

    app = create_app(
        settings,
        transcriber=lambda locale: transcriber,
        conversations=conversations,
        now=lambda: now,
        env=OPERATOR_ENV,
    )
    live = stack.enter_context(serve(app))
    return Server(pauses.name, live, script, made)


async def sleep_until(when: float) -> None:
    delay = when - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)


async def run_case(server: Server, case: Case, now: datetime, chunk_ms: int) -> list[Row]:
    """One case on a fresh tenant and session of ``server``, turn after turn, one stream."""
    server.case_no += 1
    tenant = f"case{server.case_no}"
    settings = server.live.app.state.server.settings
    open_demo_store(settings.data_dir / "tenants" / tenant, now, now.tzinfo).close()
    key = await asyncio.to_thread(make_key, settings, tenant, "car-1")
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=server.live.url, headers=headers, timeout=60) as http:
        created = await http.post("/v1/sessions", json={"audio": True})
        created.raise_for_status()
        session = created.json()["id"]
    url = f"{server.live.ws_url}/v1/sessions/{session}/stream"
    async with websockets.connect(url, additional_headers=headers, max_size=None) as ws:
        await ws.send(json.dumps({"type": "start", "format": FORMAT, "mode": "vad"}))
        ready = json.loads(await ws.recv())
        assert ready["type"] == "ready", ready
        stream = Stream(server, ws, chunk_ms)
        receiver = asyncio.create_task(stream.receive())
        try:
            return [await stream.turn(case.id, i, t) for i, t in enumerate(case.turns, 1)]
        finally:
            receiver.cancel()


class Stream:
    """One WebSocket stream: audio out in real time, events in with their arrival time."""

    def __init__(self, server: Server, ws: Any, chunk_ms: int) -> None:
        self.server = server
        self.ws = ws
        self.chunk_ms = chunk_ms
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.sent = 0  # samples sent

    async def receive(self) -> None:
        async for frame in self.ws:
            stamp = time.perf_counter()
            event = {"type": "audio"} if isinstance(frame, bytes) else json.loads(frame)
            self.events.append((stamp, event))

    async def turn(self, case_id: str, index: int, turn: Any) -> Row:
        """Speak ``turn`` in real time, then silence until its reply's audio came."""
        runner = self.server.made[-1].runner
        kind = answer_kind(runner.context)
        fast = bool(runner.complete_enough(turn.transcript))
        pcm, first, last = turn_audio(turn)
        offset, mark = self.sent / RATE, len(self.events)
        t0 = time.perf_counter()
        script = self.server.script
        script.words, script.used, script.session = tuple(turn.transcript.split()), 0, None
        script.start, script.end = t0 + first, t0 + last
        await self._speak(pcm, t0, mark)
        eos = t0 + last
        mine = self.events[mark:]

        def first_of(kind_: str) -> float | None:
            return next((t - eos for t, e in mine if e["type"] == kind_), None)

        ends = [e for _, e in mine if e["type"] == "speech_ended"]
        return Row(
            config=self.server.name,
            turn=f"{case_id}/{index}",
            kind=kind,
            text=turn.transcript,
            body=is_body(kind, turn),
            fast=fast,
            ended=first_of("speech_ended"),
            final=first_of("final"),
            audio=first_of("audio"),
            last_audio=next((t - eos for t, e in reversed(mine) if e["type"] == "audio"), None),
            cut=any(
                e.get("reason") == "silence" and e["time"] < offset + last - CUT_TOLERANCE
                for e in ends
            ),
            vad_end=ends[0]["time"] - (offset + last) if ends else None,
            rejoined=any(e["type"] == "final" and e.get("continues") for _, e in mine),
        )

    async def _speak(self, pcm: bytes, t0: float, mark: int) -> None:
        step = RATE * self.chunk_ms // 1000 * 2
        deadline = t0 + len(pcm) / 2 / RATE + 6.0
        k = 0
        while time.perf_counter() < deadline:
            chunk = pcm[k * step : (k + 1) * step] or bytes(step)
            await sleep_until(t0 + (k + 1) * self.chunk_ms / 1000)
            await self.ws.send(chunk)
            self.sent += len(chunk) // 2
            k += 1
            if k * step >= len(pcm) and self._settled(mark):
                return

    def _settled(self, mark: int) -> bool:
        """Every utterance begun in this turn has its final, and the last reply (its
        audio, if it has any) came 0.4 s ago (a continuation after an early end is
        part of the turn; one absorbed after its answer's reply played says nothing)."""
        mine = self.events[mark:]
        kinds = [e["type"] for _, e in mine]
        if not kinds or kinds.count("speech_started") > kinds.count("final"):
            return False
        last_final = max(i for i, k in enumerate(kinds) if k == "final")
        replies = [(t, e) for t, e in mine[last_final:] if e["type"] == "reply"]
        audio = [t for t, e in mine[last_final:] if e["type"] == "audio"]
        if not replies:
            return False
        done, reply = replies[-1]
        if reply.get("audio"):
            if not audio:
                return False
            done = audio[-1]
        return time.perf_counter() > done + 0.4


def ms1(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms"


def table(rows: list[Row], configs: list[str]) -> list[str]:
    out = [
        "| answer kind | config | turns | VAD end - true end (p50 / p95 ms) "
        "| speech_ended arrives | final arrives | first reply audio "
        "| reply - final | no reply | premature cut-offs (re-joined) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    groups: dict[str, Callable[[Row], bool]] = {}
    for kind in dict.fromkeys(r.kind for r in rows):
        groups[kind] = lambda r, k=kind: r.kind == k  # type: ignore[misc]
        groups[f"{kind}, fast path"] = lambda r, k=kind: r.kind == k and r.fast  # type: ignore[misc]
    groups["**fast path**"] = lambda r: r.fast
    groups["**bodies**"] = lambda r: r.body
    groups["**all**"] = lambda r: True
    for name, pick in groups.items():
        for config in configs:
            group = [r for r in rows if r.config == config and pick(r)]
            if not group:
                continue
            work = [r.audio - r.final for r in group if r.audio is not None and r.final is not None]
            out.append(
                f"| {name} | {config} | {len(group)} | {ms([r.vad_end for r in group])} "
                f"| {ms([r.ended for r in group])} "
                f"| {ms([r.final for r in group])} | {ms([r.audio for r in group])} "
                f"| {ms(list(work))} | {sum(r.audio is None for r in group)} "
                f"| {sum(r.cut for r in group)} ({sum(r.rejoined for r in group)}) |"
            )
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_timing_arguments(parser, chunk_ms=20)
    parser.add_argument(
        "--pauses",
        action="append",
        default=None,
        help="EARLY/CLOSED[/REJOIN] ms of a server under test (repeatable; default: [asr])",
    )
    parser.add_argument(
        "--before",
        action="store_true",
        help="also the previous pass (200 / 192 ms, 'no' waits, no re-join)",
    )
    parser.add_argument("--cases", type=int, default=0, help="only the first N cases")
    parser.add_argument("--rows", type=Path, default=None, help="write every turn as JSON lines")
    args = parser.parse_args()
    vosk = korean_vosk()
    manifest = replay_set()
    cases = [c for c in manifest.cases if c.locale == "en"]
    cases = cases[: args.cases] if args.cases else cases
    now = manifest.now
    asr = ASRSettings()
    tested = [pauses_of(p) for p in args.pauses or []] or [
        Pauses(asr.early_silence_ms, asr.answer_silence_ms)
    ]
    fixed = Pauses(asr.trailing_silence_ms, asr.trailing_silence_ms, rejoin=0)
    before = Pauses(200, 192, rejoin=0, no_waits=True)
    configs = [fixed, *([before] if args.before else []), *tested]
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        servers = [
            start_server(Path(tmp) / f"s{i}", c, vosk, now, lag=args.lag / 1000, stack=stack)
            for i, c in enumerate(configs)
        ]
        for server in servers:  # warm: the first stream loads the model, parser and voice
            await run_case(server, cases[0], now, args.chunk_ms)
        started = time.perf_counter()
        rows: list[Row] = []
        for i, case in enumerate(cases):
            order = servers[i % len(servers) :] + servers[: i % len(servers)]
            for server in order:  # each server goes first in turn: the same load for all
                rows += await run_case(server, case, now, args.chunk_ms)
            print(f"\r{i + 1}/{len(cases)} cases", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    print(
        f"{len(cases)} cases, {len(rows) // len(servers)} turns per server, "
        f"{time.perf_counter() - started:.0f} s; partials {args.lag:g} ms behind, "
        f"{args.chunk_ms} ms frames; {machine()}"
    )
    print("\n".join(table(rows, [s.name for s in servers])))
    if args.rows is not None:
        lines = (json.dumps(dataclasses.asdict(r)) for r in rows)
        args.rows.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    for config in [s.name for s in servers][1:]:
        joined = [
            f"{r.text!r}: first reply {ms1(r.audio)}, joined answer's {ms1(r.last_audio)}"
            for r in rows
            if r.config == config and r.rejoined
        ]
        print(f"{config}: re-joined turns: {joined or 'none'}")
    base = {r.turn for r in rows if r.config == fixed.name and r.cut}
    for config in [s.name for s in servers][1:]:
        added = [
            f"{r.kind}: {r.text!r}"
            for r in rows
            if r.config == config and r.cut and r.turn not in base
        ]
        print(f"{config}: premature cut-offs the early end added: {added or 'none'}")
    print(f"cut with the 800 ms pause too (the VAD in noise): {sorted(base) or 'none'}")


if __name__ == "__main__":
    asyncio.run(main())
