"""Replaying cases through the whole pipeline: front end, parser, dialog, backend, TTS.

Each case runs as one conversation with a fresh backend and the manifest's
fixed clock. A turn is heard (from its WAV through the speech front end, or
its expected transcript in ``--transcripts`` mode), parsed in the context of
the dialog's last question, and stepped through the real
:class:`~assistant.dialog.runner.DialogRunner`, which carries out sends and
calendar changes on the backend and speaks its replies through a speaker
that synthesises (never plays) and notes when the first audio was ready.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from assistant.asr.events import Final
from assistant.asr.listener import Listener
from assistant.compose import build_runner
from assistant.config import DialogSettings
from assistant.dialog.runner import DialogRunner
from assistant.errors import DriveTalkError, InputFileError
from assistant.models import Hypothesis
from assistant.replay.backend import CaseBackend, fresh_local_backend
from assistant.replay.frontend import Heard, hear_file
from assistant.replay.manifest import Case, Manifest, Turn
from assistant.replay.results import CaseResult, Latency, TurnResult
from assistant.replay.scoring import outcome_errors, slot_errors, word_errors
from assistant.replay.speaker import TimingSpeaker

log = logging.getLogger(__name__)

#: Builds the backend of one case from the replay clock.
BackendFactory = Callable[..., AbstractAsyncContextManager[CaseBackend]]


@dataclass
class Replayer:
    """Replays a manifest's cases; ``listener`` None means transcript mode.

    ``listener``: one for every case, or one per locale (a case is heard by
    the listener of its locale, whose model hears its language).
    """

    manifest: Manifest
    listener: Listener | Mapping[str, Listener] | None = None
    speaker: TimingSpeaker = field(default_factory=TimingSpeaker)
    backend: BackendFactory = fresh_local_backend
    on_case: Callable[[CaseResult], None] = lambda _result: None

    async def run(self, cases: Sequence[Case] | None = None) -> list[CaseResult]:
        """Replay ``cases`` (default: all) in order; a failing case never stops the run."""
        results = []
        for case in cases if cases is not None else self.manifest.cases:
            result = await self.run_case(case)
            self.on_case(result)
            results.append(result)
        return results

    async def run_case(self, case: Case) -> CaseResult:
        """One conversation against a fresh backend; errors become the case's result."""
        started = time.perf_counter()
        turns: list[TurnResult] = []
        error: str | None = None
        outcome: tuple[str, ...] | None = None
        running: Turn | None = None  # the turn an error happened in, for the message
        try:
            async with self.backend(self.manifest.now, locale=case.locale) as backend:
                listener = self._listener(case.locale)
                runner = self._dialog(case, backend, listener)
                self.speaker.use_locale(case.locale)
                for index, running in enumerate(case.turns, start=1):
                    turns.append(await self._turn(runner, index, running, listener))
                running = None
                await runner.settle()
                if case.outcome is not None:
                    outcome = tuple(outcome_errors(case.outcome, backend.connector.outcome()))
        except DriveTalkError as exc:
            error = _where(running, len(turns)) + str(exc)
        except Exception as exc:
            # A bug in one stage must not hide the results of every other case:
            # the tester gets it as this case's error (traceback with -v).
            log.debug("case %s crashed", case.id, exc_info=True)
            error = f"{_where(running, len(turns))}{type(exc).__name__}: {exc}"
        return CaseResult(
            id=case.id,
            tags=dict(case.tags),
            turns=tuple(turns),
            error=error,
            seconds=time.perf_counter() - started,
            planned_turns=len(case.turns),
            planned_slots=sum(len(t.slots) for t in case.turns),
            outcome_problems=_outcome_problems(case, outcome),
        )

    def _dialog(self, case: Case, backend: CaseBackend, listener: Listener | None) -> DialogRunner:
        now = self.manifest.now
        counter = itertools.count(1)
        return build_runner(
            DialogSettings(),  # the engine's defaults: replays do not depend on a config file
            connector=backend.connector,
            outbox=backend.outbox,
            parser=backend.parser,
            contacts=backend.contacts,
            locale=case.locale,
            clock=lambda: now,
            speech=self.speaker,
            new_id=lambda: f"{case.id}-{next(counter)}",
            timeouts=False,
            # Heard from audio, an early end may be joined: hold "mark as read" meanwhile.
            hold_marks=listener.config.rejoin_ms / 1000 if listener is not None else 0.0,
        )

    def _listener(self, locale: str) -> Listener | None:
        if not isinstance(self.listener, Mapping):
            return self.listener
        if locale not in self.listener:
            raise InputFileError(f"no speech model was loaded for locale {locale}")
        return self.listener[locale]

    async def _turn(
        self, runner: DialogRunner, index: int, turn: Turn, listener: Listener | None
    ) -> TurnResult:
        heard = await self._hear(runner, turn, listener)
        self.speaker.start_turn()
        # Every planned turn is a turn, even one the recognizer heard as
        # nothing: the n-best form makes the runner parse and answer it.
        final = heard.final
        spoken = await runner.hear(final.alternatives or (Hypothesis(final.text),))
        if heard.continuation is not None:  # the driver went on after an early end
            later = heard.continuation
            said = later.alternatives or (Hypothesis(later.text),)
            spoken = await runner.hear(said, continues=True)
            final = Final(text=spoken.transcript)
        assert spoken.parse is not None  # an n-best list is always parsed
        result = spoken.parse
        actual = result.to_json()
        audio = listener is not None
        return TurnResult(
            index=index,
            transcript=turn.transcript,
            heard=final.text,
            expected_intent=turn.intent.value,
            intent=actual["intent"],
            confidence=result.confidence,
            expected_slots=turn.slots,
            slots=actual["slots"],
            wrong_slots=tuple(slot_errors(turn.slots, actual["slots"])),
            words=word_errors(turn.transcript, final.text) if audio else None,
            reply=" ".join(spoken.replies),
            latency=Latency(
                final=heard.final_at - heard.end_of_speech if audio else None,
                reply_text=_since(self.speaker.text_at, heard.end_of_speech),
                reply_audio=_since(self.speaker.audio_at, heard.end_of_speech),
            ),
            end_reason=heard.end_reason if audio else None,
            audio_seconds=heard.audio_seconds if audio else None,
        )

    async def _hear(self, runner: DialogRunner, turn: Turn, listener: Listener | None) -> Heard:
        """The turn through the speech front end, or its transcript handed over now."""
        if listener is None:
            now = time.perf_counter()
            return Heard(Final(text=turn.transcript), now, now, "transcript", 0.0)
        if turn.audio is None:
            raise InputFileError("this turn has no recording (use --transcripts)")
        return await hear_file(
            listener, turn.audio, grammar=runner.vocabulary, complete=runner.complete_enough
        )


def _where(turn: Turn | None, done: int) -> str:
    """'turn N (file): ' for the turn that was running, '' outside the turns."""
    if turn is None:
        return ""
    return f"turn {done + 1}" + (f" ({turn.audio.name})" if turn.audio else "") + ": "


def _outcome_problems(case: Case, checked: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if case.outcome is None:
        return None
    return checked if checked is not None else ("not checked: the case stopped on an error",)


def _since(moment: float | None, origin: float) -> float | None:
    return None if moment is None else moment - origin


async def replay(
    manifest: Manifest,
    *,
    listener: Listener | Mapping[str, Listener] | None = None,
    speaker: TimingSpeaker | None = None,
    backend: BackendFactory = fresh_local_backend,
    on_case: Callable[[CaseResult], None] = lambda _result: None,
) -> list[CaseResult]:
    """Replay every case of ``manifest``; closes the speaker afterwards."""
    speaker = speaker or TimingSpeaker()
    try:
        return await Replayer(manifest, listener, speaker, backend, on_case).run()
    finally:
        await speaker.aclose()
