"""Early end of utterances: latency per answer kind and premature cut-offs, on the replay set.

Every turn of the shipped replay set (51 cases, 97 turns, each in its dialog
context: a fresh demo store per case, the real parser, dialog runner and
espeak-ng TTS) is measured twice, with the fixed 800 ms pause only and with
the early end (``early_silence_ms``, the runner's ``complete_enough``):

* **end of speech -> first reply audio** = endpoint lag on the turn's WAV
  (the real endpointer, silero VAD, ``--chunk-ms`` chunks; lag = the stream time at
  which the end is declared - the end of the speech, which the set's
  generator placed ``TRAIL_S`` before the end of the file) + the
  recognizer's flush after the endpoint (vosk, the only
  model here is Korean: open recognition, a real decode of the turn's audio)
  + parse, dialog and the first audio of the reply (TTS), timed in process;
* **premature cut-off**: the early run ended the utterance at an inner pause,
  more than 150 ms before the fixed-pause run did (speech was still to come);
  it is *re-joined* when the speech resumed within ``[asr] rejoin_ms`` of
  that end (the listener marks the next final ``continues``, and the dialog
  hears the rest as a continuation: the replay then hears the words up to
  the cut, and the rest with ``continues``, so the case's outcome checks
  the join), else *lost*;
* **at risk** (worst case, from the transcript): some strict word prefix of
  the turn already counts as complete, so a driver pausing there for
  ``early_silence_ms`` would be cut. Must be 0 for bodies;
* **a re-joined answer's end** (endpoint lag of the continuation, after the
  dialog heard the answer): the rest is endpointed twice on the same stream
  state, its partials judged alone in the question the answer left open (as
  before the fifth pass) and as the continuation they are
  (``complete_enough(..., continues=True)``: "no | to Li Na" judged as "no
  to Li Na" at the read-back): the ratio of the two in one run.

The recognizer's partials cannot be English here (no English model), so the
predicate is asked about the expected transcript's words revealed in
proportion to the time spoken, ``--lag`` ms behind the audio (a streaming
recognizer's partial trails the speech). Usage::

    .venv/bin/python benchmarks/early_end_bench.py [--lag 150] [--early-ms 200] [--chunk-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.asr import Final, VoskTranscriber
from assistant.audio.endpoint import Completeness, EndpointConfig, Endpointer
from assistant.audio.vad import VoiceDetector
from assistant.dialog.early_end import answer_kind
from assistant.dialog.runner import DialogRunner
from assistant.replay.backend import CaseBackend
from assistant.replay.frontend import Heard
from assistant.replay.manifest import Case, Turn
from assistant.replay.runner import Replayer
from assistant.replay.speaker import TimingSpeaker
from assistant.tts.synth import Synthesizer, Voice

sys.path.insert(0, str(Path(__file__).resolve().parent))
from early_end_common import (
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


@dataclass
class Rest:
    """A re-joined continuation, to be endpointed once the dialog has heard the answer."""

    row: Measured
    pcm: bytes
    levels: list[Completeness | None]
    resumed: float
    last: float
    words: tuple[str, ...]


@dataclass
class Measured:
    """One turn: its answer kind and what the endpointer and the dialog did."""

    kind: str
    text: str
    body: bool
    fast: bool
    at_risk: bool
    lag_fixed: float
    lag_early: float
    cut: bool
    flush: float
    reply: float = 0.0
    #: A cut whose rest began within rejoin_ms of the early end (not lost).
    rejoined: bool = False
    #: Whether words were still to come after the cut (else it cut a word's tail).
    rest: bool = True
    #: A re-joined continuation's endpoint lag, judged alone / as a continuation,
    #: and whether that end came at an inner pause again (words still to come:
    #: the next part would be re-joined in turn).
    joined_alone: float | None = None
    joined: float | None = None
    cut_again: tuple[bool, bool] = (False, False)

    @property
    def fate(self) -> str:
        """What became of the speech after a cut."""
        if self.rejoined:
            return "re-joined"
        return "LOST" if self.rest else "no word left: the tail of the last one"


class EarlyEndReplayer(Replayer):
    """The replay harness, measuring each turn's endpointing before handing it over."""

    def __init__(
        self,
        *args: object,
        transcriber: VoskTranscriber,
        lag: float,
        config: EndpointConfig,
        chunk_ms: int = 100,
        **kw: object,
    ) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.transcriber = transcriber
        self.config = config
        self.chunk_bytes = RATE * chunk_ms // 1000 * 2
        #: Time each ``complete_enough`` call took (the parse of a partial).
        self.judging: list[float] = []
        self.lag = lag
        self.rows: list[Measured] = []
        #: The turn's continuation, measured once the dialog has heard the answer.
        self._rest: Rest | None = None

    def _dialog(self, case: Case, backend: CaseBackend, listener: object = None) -> DialogRunner:
        runner = super()._dialog(case, backend, None)
        # As a stream's runner: "mark as read" held while an early end may be re-joined.
        runner.hold_marks = self.config.rejoin_ms / 1000
        hear = runner.hear

        async def hearing(heard: Any, *, continues: bool = False) -> Any:
            rest = self._rest if continues else None
            if rest is not None:  # the answer is heard: its state is the live one
                self._rest = None
                alone = self._rest_end(rest, runner.complete_enough)
                joined = self._rest_end(rest, lambda p: runner.complete_enough(p, continues=True))
                rest.row.joined_alone, rest.row.joined = alone[0], joined[0]
                rest.row.cut_again = (alone[1], joined[1])
            return await hear(heard, continues=continues)

        runner.hear = hearing  # type: ignore[method-assign]
        return runner

    async def _hear(self, runner: DialogRunner, turn: Turn, listener: object = None) -> Heard:
        self._rest = None
        kind = answer_kind(runner.context)
        body = is_body(kind, turn)
        words = turn.transcript.split()
        prefixes = (" ".join(words[:k]) for k in range(1, len(words)))
        pcm, first, last = turn_audio(turn)
        seconds = len(pcm) / 2 / RATE
        fixed, fixed_at, _, _ = self._endpoint(pcm, None, words, first, last)
        levels: list[Completeness | None] = []
        early, early_at, said, detector = self._endpoint(
            pcm, runner, words, first, last, levels=levels
        )
        cut = early < fixed - CUT_TOLERANCE
        resumed = self._resumes(pcm, early_at, detector) if cut else None
        rejoined = resumed is not None and resumed - early <= self.config.rejoin_ms / 1000
        row = Measured(
            kind=kind,
            text=turn.transcript,
            body=body,
            fast=bool(runner.complete_enough(turn.transcript)),
            at_risk=any(runner.complete_enough(p) for p in prefixes),
            lag_fixed=fixed_at - last,
            lag_early=early_at - last,
            cut=cut,
            rejoined=rejoined,
            # An utterance that ended early takes its complete partial as the
            # final: no flush (assistant/asr/listener.py); the others wait for it.
            flush=0.0
            if early < fixed
            else await asyncio.to_thread(self._flush, pcm, early_at, runner.vocabulary),
        )
        self.rows.append(row)
        now = time.perf_counter()
        if not cut:
            return Heard(Final(text=turn.transcript), now, now, "silence", seconds)
        # Cut at an inner pause: the dialog hears the words up to the cut, then
        # the rest, as the next utterance (marked when it continues the first).
        rest = " ".join(words[len(said.split()) :])
        row.rest = bool(rest)
        later = Final(text=rest, continues=rejoined) if rest else None
        if not rejoined:
            # Lost: this answer never hears it (the case's outcome shows the cost).
            later = None
        elif later is not None and resumed is not None:
            self._rest = Rest(row, pcm, levels, resumed, last, tuple(rest.split()))
        return Heard(Final(text=said), now, now, "silence", seconds, later)

    def _endpoint(
        self,
        pcm: bytes,
        runner: DialogRunner | None,
        words: list[str],
        first: float,
        last: float,
        *,
        levels: list[Completeness | None] | None = None,
    ) -> tuple[float, float, str, VoiceDetector]:
        """Where the utterance ends, when that is declared (stream seconds), the words heard.

        Also the stream's voice detector, which the next utterance goes on with;
        ``levels`` gets each chunk's judgement (None: none asked), to replay it.
        """
        endpointer = Endpointer(RATE, self.config)
        fed = 0.0
        heard = ""
        audio = pcm + bytes(RATE * 2 * 2)  # then 2 s of silence
        step = self.chunk_bytes
        for chunk in (audio[i : i + step] for i in range(0, len(audio), step)):
            found = endpointer.feed(chunk)
            fed += len(chunk) / 2 / RATE
            complete = None
            if runner is not None and endpointer.in_speech:
                heard = self._revealed(words, fed, first, last)
                started = time.perf_counter()
                complete = runner.complete_enough(heard)
                self.judging.append(time.perf_counter() - started)
                found += endpointer.hurry(complete)
            if levels is not None:
                levels.append(complete)
            ends = [b for b in found if b.kind == "end"]
            if ends:
                return ends[0].time, fed, heard, endpointer.detector
        return fed, fed, heard, endpointer.detector

    def _revealed(self, words: Sequence[str], fed: float, first: float, last: float) -> str:
        """The words a partial shows at stream time ``fed`` (spoken from first to last)."""
        spoken = (fed - self.lag - first) / max(last - first, 1e-3)
        return " ".join(words[: max(0, min(len(words), round(spoken * len(words))))])

    def _rest_end(
        self, rest: Rest, judge: Callable[[str], Completeness]
    ) -> tuple[float | None, bool]:
        """The endpoint lag of a continuation whose partials ``judge`` judges, and
        whether it ended at an inner pause again (before its last word began).

        The first utterance is replayed to its early end with the judgements
        it had (the same VAD state at the cut), then the rest goes on.
        """
        step = self.chunk_bytes
        answer = Endpointer(RATE, self.config)
        cut = 0
        for level, i in zip(rest.levels, range(0, len(rest.pcm), step), strict=False):
            found = answer.feed(rest.pcm[i : i + step])
            cut = i + len(rest.pcm[i : i + step])
            if level is not None:
                found += answer.hurry(level)
            if any(b.kind == "end" for b in found):
                break
        going_on = Endpointer(RATE, self.config, detector=answer.detector, offset=cut / 2 / RATE)
        audio = rest.pcm[cut:] + bytes(RATE * 2 * 2)  # then 2 s of silence
        fed = cut / 2 / RATE
        for chunk in (audio[i : i + step] for i in range(0, len(audio), step)):
            found = going_on.feed(chunk)
            fed += len(chunk) / 2 / RATE
            if going_on.in_speech:
                heard = self._revealed(rest.words, fed, rest.resumed, rest.last)
                found += going_on.hurry(judge(heard) if heard else Completeness.NO)
            ends = [b.time for b in found if b.kind == "end"]
            if ends:
                # Cut again if the end came before the rest's last word began.
                words = len(rest.words)
                last_word = rest.resumed + (words - 1) / words * (rest.last - rest.resumed)
                return fed - rest.last, ends[0] < last_word
        return None, False

    def _resumes(self, pcm: bytes, after: float, detector: VoiceDetector) -> float | None:
        """When speech starts again after ``after`` (stream seconds), as the listener would see."""
        cut = int(after * RATE) * 2
        endpointer = Endpointer(RATE, self.config, detector=detector, offset=cut / 2 / RATE)
        for chunk in (
            pcm[i : i + self.chunk_bytes] for i in range(cut, len(pcm), self.chunk_bytes)
        ):
            starts = [b for b in endpointer.feed(chunk) if b.kind == "start"]
            if starts:
                return starts[0].time
        return None

    def _flush(self, pcm: bytes, end: float, vocabulary: tuple[str, ...]) -> float:
        """The recognizer's finishing work after the endpoint (a real decode)."""
        session = self.transcriber.open_session(vocabulary or None)
        try:
            session.accept(pcm[: int(end * RATE) * 2])
            started = time.perf_counter()
            session.finish()
            return time.perf_counter() - started
        finally:
            session.close()


def table(rows: list[Measured]) -> list[str]:
    out = [
        "| answer kind | turns | fast path | EOS -> first audio, 800 ms pause (p50 / p95 ms) "
        "| with early end | endpoint lag, early (p50 / p95) | of which fast-path turns "
        "| premature cut-offs (of which re-joined) | at risk |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    groups: dict[str, list[Measured]] = {}
    for row in rows:
        groups.setdefault(row.kind, []).append(row)
    groups["**bodies** (body, title, or a command carrying its body)"] = [r for r in rows if r.body]
    groups["**all**"] = rows
    for name, group in groups.items():
        fixed = [max(r.lag_fixed, 0.0) + r.flush + r.reply for r in group]
        early = [max(r.lag_early, 0.0) + r.flush + r.reply for r in group]
        out.append(
            f"| {name} | {len(group)} | {sum(r.fast for r in group)} | {ms(fixed)} | {ms(early)} "
            f"| {ms([r.lag_early for r in group])} | {ms([r.lag_early for r in group if r.fast])} "
            f"| {sum(r.cut for r in group)} ({sum(r.rejoined for r in group)} re-joined) "
            f"| {sum(r.at_risk for r in group)} |"
        )
    return out


def joined_table(rows: list[Measured]) -> list[str]:
    """Each re-joined answer's end: its continuation judged alone, and as a continuation."""
    pairs = [r for r in rows if r.joined_alone is not None and r.joined is not None]
    out = [
        "| re-joined answer | whole turn, 800 ms pause (endpoint lag ms) "
        "| continuation judged alone | as a continuation |",
        "|---|---|---|---|",
    ]
    for r in pairs:
        alone, joined = (
            cell(v) + (" (cut again)" if again else "")
            for v, again in zip((r.joined_alone, r.joined), r.cut_again, strict=True)
        )
        out.append(f"| {r.text} | {cell(r.lag_fixed)} | {alone} | {joined} |")
    fixed = [r.lag_fixed for r in pairs]
    alone = [r.joined_alone for r in pairs]
    joined = [r.joined for r in pairs]
    out.append(f"| **p50 / p95** ({len(pairs)} turns) | {ms(fixed)} | {ms(alone)} | {ms(joined)} |")
    whole = [r for r in pairs if not any(r.cut_again)]
    out.append(
        f"| **p50 / p95**, not cut again ({len(whole)} turns) | {ms([r.lag_fixed for r in whole])} "
        f"| {ms([r.joined_alone for r in whole])} | {ms([r.joined for r in whole])} |"
    )
    return out


def cell(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_timing_arguments(parser, chunk_ms=100)
    parser.add_argument(
        "--early-ms", type=int, default=EndpointConfig().early_silence_ms, help="early pause"
    )
    parser.add_argument(
        "--answer-ms",
        type=int,
        default=EndpointConfig().answer_silence_ms,
        help="closed-answer pause (yes/no, choice)",
    )
    parser.add_argument(
        "--rejoin-ms",
        type=int,
        default=EndpointConfig().rejoin_ms,
        help="speech resuming this soon after an early end continues it",
    )
    args = parser.parse_args()
    replayer = EarlyEndReplayer(
        replay_set(),
        speaker=TimingSpeaker(Synthesizer(Voice(rate=175))),
        transcriber=korean_vosk(),
        lag=args.lag / 1000,
        config=EndpointConfig(
            early_silence_ms=args.early_ms,
            answer_silence_ms=args.answer_ms,
            rejoin_ms=args.rejoin_ms,
        ),
        chunk_ms=args.chunk_ms,
    )
    replayer._flush(bytes(RATE * 2), 1.0, ())  # warm the decoder pool
    started = time.perf_counter()
    results = await replayer.run()
    errors = [f"{r.id}: {r.error}" for r in results if r.error]
    if errors:
        raise SystemExit("cases failed: " + "; ".join(errors))
    turns = [t for r in results for t in r.turns]
    for row, turn in zip(replayer.rows, turns, strict=True):
        row.reply = turn.latency.reply_audio or 0.0
    print(
        f"{len(results)} cases, {len(turns)} turns, {time.perf_counter() - started:.0f} s; "
        f"partials {args.lag:g} ms behind, early pause {args.early_ms} ms, "
        f"closed answers {args.answer_ms} ms, re-join within {args.rejoin_ms} ms, "
        f"{args.chunk_ms} ms chunks; {machine()}"
    )
    print("\n".join(table(replayer.rows)))
    cuts = [f"{r.kind}: {r.text!r} ({r.fate})" for r in replayer.rows if r.cut]
    print(f"premature cut-offs: {cuts or 'none'}")
    print("\n".join(joined_table(replayer.rows)))
    judging = ms(replayer.judging, 2)
    print(f"complete_enough, {len(replayer.judging)} calls, p50 / p95 ms: {judging}")
    failed = [r.id for r in results if not r.passed]
    print(f"cases not passed: {failed or 'none'}")


if __name__ == "__main__":
    asyncio.run(main())
