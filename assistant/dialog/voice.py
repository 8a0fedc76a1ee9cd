"""Speech in: feed a live PCM stream through the ASR listener into the runner.

Each final n-best list becomes one driver turn, parsed in the context of the
open answer window; the window's vocabulary constrains the recognizer where
the engine supports it. Speech that starts while the assistant is talking is
a barge-in: playback stops at once and the new turn follows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator

from assistant.asr.events import BargeIn as AsrBargeIn
from assistant.asr.events import Final
from assistant.asr.listener import Listener
from assistant.dialog.runner import DialogRunner


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
    runner: DialogRunner, listener: Listener, chunks: AsyncIterable[bytes]
) -> None:
    """Recognise utterances from ``chunks`` and hand them to ``runner`` until the stream ends."""
    source = _Source(chunks)
    turn: asyncio.Task[None] | None = None

    def speaking() -> bool:
        return turn is not None and not turn.done()

    while not source.exhausted:
        final: Final | None = None
        grammar = runner.vocabulary or None
        async for event in listener.listen(
            source, grammar=grammar, is_speaking=speaking, complete=runner.complete_enough
        ):
            if isinstance(event, AsrBargeIn):
                runner.barge_in()
            elif isinstance(event, Final):
                final = event
        if final is None or not final.text.strip():
            continue
        if turn is not None:
            await turn
        turn = asyncio.create_task(runner.hear(final.alternatives or final.text))
    if turn is not None:
        await turn
