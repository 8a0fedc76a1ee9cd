"""Async access to blocking sessions: decode work runs off the event loop.

Each :class:`AsyncSession` owns one worker thread, so its calls run in order
(recognizers are not thread-safe) while different sessions decode in
parallel on the shared model. The thread ends when the session is closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TypeVar

from assistant.asr.base import StreamingSession, Transcriber
from assistant.asr.events import Final, Partial

T = TypeVar("T")


class AsyncSession:
    """Awaitable wrapper of a :class:`StreamingSession` with its own worker thread."""

    def __init__(self, session: StreamingSession, executor: ThreadPoolExecutor) -> None:
        self.session = session
        self._executor = executor
        self._closed = False

    @classmethod
    async def open(
        cls,
        transcriber: Transcriber,
        grammar: Sequence[str] | None = None,
        *,
        alternatives: int | None = None,
    ) -> AsyncSession:
        """Open a session (compiling a grammar takes time) in a fresh worker thread."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drivetalk-asr")
        loop = asyncio.get_running_loop()
        try:
            session = await loop.run_in_executor(
                executor, lambda: transcriber.open_session(grammar, alternatives=alternatives)
            )
        except BaseException:
            executor.shutdown(wait=True)
            raise
        return cls(session, executor)

    @property
    def constrained(self) -> bool:
        """Whether a grammar restricts recognition."""
        return self.session.constrained

    async def _run(self, func: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, func)

    async def accept(self, pcm: bytes) -> list[Partial]:
        """Decode ``pcm`` in the worker thread."""
        return await self._run(lambda: self.session.accept(pcm))

    async def finish(self) -> Final:
        """Finish the utterance in the worker thread."""
        return await self._run(self.session.finish)

    async def aclose(self) -> None:
        """Free the recognizer and stop the worker thread; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        # A session blocked waiting for a decoder (vosk's pool) would hold the
        # worker until its wait times out: end that wait from here first.
        interrupt = getattr(self.session, "interrupt", None)
        if interrupt is not None:
            interrupt()
        try:
            await self._run(self.session.close)
        finally:
            # The worker is idle once close() returned, so joining it is instant.
            self._executor.shutdown(wait=True)

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
