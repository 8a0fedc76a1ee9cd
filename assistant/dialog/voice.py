"""Speech in: feed a live PCM stream through the ASR listener into the runner.

Each final n-best list becomes one driver turn, parsed in the context of the
open answer window; the window's vocabulary constrains the recognizer where
the engine supports it. Speech that starts while the assistant is talking is
a barge-in: playback stops at once and the new turn follows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable

from assistant.asr.events import BargeIn as AsrBargeIn
from assistant.asr.events import Final, WakeHeard
from assistant.asr.listener import Listener
from assistant.asr.wake import WakeGate, WakePhrase
from assistant.dialog.runner import DialogRunner
from assistant.dialog.turn import Turn


class _Source:
    """Wraps a chunk stream so the loop can tell when it has run dry."""

    def __init__(self, chunks: AsyncIterable[bytes]) -> None:
        self._iterator = aiter(chunks)
        self.exhausted = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await anext(self._iterator)
        except StopAsyncIteration:
            self.exhausted = True
            raise


async def listen_loop(
    runner: DialogRunner,
    listener: Listener,
    chunks: AsyncIterable[bytes],
    *,
    wake: WakePhrase | None = None,
    on_wake: Callable[[WakeHeard], None] | None = None,
) -> None:
    """Recognise utterances from ``chunks`` and hand them to ``runner`` until the stream ends.

    With a ``wake`` phrase, speech is a turn only after the phrase (the next
    utterance, which may start up to ``wake.listen_seconds`` later), while
    the assistant is busy with a turn, or while it waits for the answer to a
    question: "Send it?" needs no wake phrase before "yes".
    """
    source = _Source(chunks)
    turn: asyncio.Task[Turn] | None = None
    gate = WakeGate(wake)

    def speaking() -> bool:
        return turn is not None and not turn.done()

    def woken(heard: WakeHeard) -> None:
        runner.barge_in()  # an announcement stops: the driver wants to talk
        if on_wake is not None:
            on_wake(heard)

    while not source.exhausted:
        busy = speaking() or runner.awaiting_answer
        if not await gate.admit(listener, source, busy=busy, on_wake=woken):
            continue
        final = await utterance_for(runner, listener, source, speaking, gate.window_ms())
        if final is None or not final.text.strip():
            continue
        if turn is not None:
            await turn
        heard = final.alternatives or final.text
        turn = asyncio.create_task(runner.hear(heard, continues=final.continues))
    if turn is not None:
        await turn


async def utterance_for(
    runner: DialogRunner,
    listener: Listener,
    source: AsyncIterable[bytes],
    speaking: Callable[[], bool],
    leading_silence_ms: int | None = None,
) -> Final | None:
    """One utterance of ``source`` for the dialog: grammar, early end, barge-in from the runner."""
    final: Final | None = None
    async for event in listener.listen(
        source,
        grammar=runner.vocabulary or None,
        is_speaking=speaking,
        complete=runner.complete_enough,
        complete_continued=lambda partial: runner.complete_enough(partial, continues=True),
        leading_silence_ms=leading_silence_ms,
    ):
        if isinstance(event, AsrBargeIn):
            runner.barge_in()
        elif isinstance(event, Final):
            final = event
    return final
