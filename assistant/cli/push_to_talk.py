"""Push-to-talk in the terminal chat: press the space bar to talk, press it again to stop.

A terminal reports key presses, never releases, so the key toggles: the
first press opens the utterance (and stops the assistant if it is talking),
the next one ends it. Audio heard between utterances is dropped unheard.
The terminal is in cbreak mode while the chat runs (keys arrive at once,
without Enter, and are not echoed) and restored on exit, however it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import termios
import threading
import tty
from collections.abc import AsyncIterator, Callable
from types import TracebackType

from assistant.asr.listener import Listener
from assistant.dialog.runner import DialogRunner
from assistant.dialog.turn import Turn
from assistant.dialog.voice import utterance_for
from assistant.errors import UserInputError

#: Keys that toggle talking; anything else is ignored (Ctrl-C still stops the chat).
TALK_KEYS = frozenset({" ", "\n", "\r"})
#: Ctrl-D: leave the chat.
QUIT_KEY = "\x04"


class KeyPresses:
    """Single key presses from a terminal's stdin, as an asyncio queue of characters."""

    def __init__(self, fd: int | None = None) -> None:
        self.fd = sys.stdin.fileno() if fd is None else fd
        if not os.isatty(self.fd):
            raise UserInputError("push-to-talk needs a terminal: stdin is not one")
        self._saved: list[object] | None = None
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._reader: threading.Thread | None = None

    def __enter__(self) -> KeyPresses:
        self._saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)
        loop = asyncio.get_running_loop()
        # A daemon thread: a blocked read must not keep the process alive at exit.
        self._reader = threading.Thread(
            target=self._read, args=(loop,), name="drivetalk-keys", daemon=True
        )
        self._reader.start()
        return self

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                data = os.read(self.fd, 1)
            except OSError:
                data = b""
            key = data.decode(errors="replace") if data else QUIT_KEY
            with contextlib.suppress(RuntimeError):  # the loop closed
                loop.call_soon_threadsafe(self._queue.put_nowait, key)
            if key == QUIT_KEY:
                return

    async def next_talk_key(self) -> bool:
        """Wait for the talk key; False when the driver pressed Ctrl-D (or stdin closed)."""
        while True:
            key = await self._queue.get()
            if key == QUIT_KEY:
                return False
            if key in TALK_KEYS:
                return True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)  # type: ignore[arg-type]


class AudioPump:
    """Reads the audio source without pause into a queue that waiting can safely give up on.

    Cancelling a pending ``anext`` of an async generator (a microphone, a
    recording) would close it; a queue's ``get`` can be cancelled freely.
    """

    def __init__(self, audio: AsyncIterator[bytes], limit: int = 100) -> None:
        self._audio = audio
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(limit)
        self._task: asyncio.Task[None] | None = None

    def __enter__(self) -> AudioPump:
        self._task = asyncio.ensure_future(self._run())
        return self

    async def _run(self) -> None:
        async for chunk in self._audio:
            if self.queue.full():
                self.queue.get_nowait()  # nobody reads: the oldest audio goes
            self.queue.put_nowait(chunk)
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(b"")  # the end of the audio

    def drain(self) -> None:
        """Drop what was heard so far, keeping an end-of-audio mark."""
        while not self.queue.empty():
            if not self.queue.get_nowait():
                self.queue.put_nowait(b"")
                return

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


class HeldAudio:
    """The audio from now until the next talk key press, or until the audio ends."""

    def __init__(self, pump: AudioPump, keys: KeyPresses) -> None:
        self._pump = pump
        self._keys = keys
        #: Whether the audio itself ran out (a recording played to its end).
        self.audio_ended = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        released = asyncio.ensure_future(self._keys.next_talk_key())
        try:
            while True:
                chunk = asyncio.ensure_future(self._pump.queue.get())
                await asyncio.wait({chunk, released}, return_when=asyncio.FIRST_COMPLETED)
                if not chunk.done():
                    chunk.cancel()
                    return
                data = chunk.result()
                if not data:
                    self.audio_ended = True
                    return
                yield data
        finally:
            released.cancel()


async def push_to_talk_loop(
    runner: DialogRunner,
    listener: Listener,
    audio: AsyncIterator[bytes],
    keys: KeyPresses,
    *,
    tell: Callable[[str], None],
) -> None:
    """Turns from ``audio``, one per press of the talk key, until Ctrl-D or the audio ends.

    ``listener`` must be in push-to-talk mode (``EndpointConfig(push_to_talk=True)``):
    the utterance is all the audio between the two presses; audio heard
    between utterances is dropped.
    """
    turn: asyncio.Task[Turn] | None = None
    tell("press space to talk, space again to stop (Ctrl-D to quit)")
    with AudioPump(audio) as pump:
        while await _talk_pressed(pump, keys):
            runner.barge_in()
            pump.drain()
            tell("talking... (space to stop)")
            held = HeldAudio(pump, keys)
            final = await utterance_for(runner, listener, held, lambda: False)
            if final is not None and final.text.strip():
                if turn is not None:
                    await turn
                turn = asyncio.create_task(runner.hear(final.alternatives or final.text))
            else:
                tell("heard nothing")
            if held.audio_ended:
                break
    if turn is not None:
        await turn


async def _talk_pressed(pump: AudioPump, keys: KeyPresses) -> bool:
    """Wait for the talk key, dropping the audio meanwhile; False on Ctrl-D or end of audio."""
    pressed = asyncio.ensure_future(keys.next_talk_key())
    try:
        while not pressed.done():
            chunk = asyncio.ensure_future(pump.queue.get())
            await asyncio.wait({chunk, pressed}, return_when=asyncio.FIRST_COMPLETED)
            if not chunk.done():
                chunk.cancel()
            elif not chunk.result():
                return False  # a recording played out with nobody talking
        return pressed.result()
    finally:
        pressed.cancel()
