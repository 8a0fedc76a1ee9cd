"""``drivetalk chat``: talk to the assistant by typing (or with ``--mic``).

On a terminal it shows a prompt and speaks the replies. When stdin is not a
terminal, each input line is one driver turn and every assistant utterance
is printed as one ``assistant: ...`` line on stdout (nothing else goes to
stdout). Replies are spoken only when stdout is a terminal or ``--speak`` is
given; ``--no-speak`` always silences them. Answer-window timeouts apply in
interactive use (terminal or ``--mic``), not to piped input.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from assistant.cli.options import (
    clock_from,
    data_dir_option,
    now_option,
    parse_zone,
    settings_from,
    tz_option,
)
from assistant.config import Settings
from assistant.dialog.runner import DialogRunner
from assistant.dialog.session import open_session
from assistant.errors import TTSUnavailableError
from assistant.tts import Speaker, TextOnlySpeaker, Voice, open_speaker

PROMPT = "you> "
_TICK = 0.2
_REPLY_GRACE = 0.5
#: The rate of the usual vosk models; reopened at the model's rate if it differs.
_MIC_RATE = 16000


@click.command("chat")
@data_dir_option
@now_option
@tz_option
@click.option("--backend", metavar="NAME", help="Connector to use (default: configured, local).")
@click.option(
    "--speak/--no-speak",
    default=None,
    help="Speak replies (default: only when stdout is a terminal).",
)
@click.option("--mic", is_flag=True, help="Listen on the microphone instead of reading text.")
@click.pass_context
def command(
    ctx: click.Context,
    *,
    data_dir: Path | None,
    now_text: str | None,
    tz_name: str | None,
    backend: str | None,
    speak: bool | None,
    mic: bool,
) -> None:
    """Talk to the assistant: send and read messages, check the calendar.

    On a terminal: type at the prompt, replies are printed and spoken. With
    stdin not a terminal, each line is one turn and each reply is printed
    as one "assistant: ..." line on stdout.
    """
    settings = settings_from(ctx, data_dir=data_dir, backend=backend)
    if isinstance(sys.stdin, io.TextIOWrapper):
        # A stray byte that is not UTF-8 is an unintelligible turn, not a crash.
        sys.stdin.reconfigure(errors="replace")
    start = clock_from(settings, now_text, tz_name)
    zone = parse_zone(tz_name) if tz_name else settings.zone
    options = ChatOptions(
        zone=zone,
        start=start,
        interactive=mic or sys.stdin.isatty(),
        speak=settings.tts.enabled and (speak if speak is not None else sys.stdout.isatty()),
        speak_required=speak is True,
        mic=mic,
    )
    asyncio.run(_chat(settings, options))


@dataclass(frozen=True, slots=True)
class ChatOptions:
    """How this chat runs, resolved from the command line."""

    zone: ZoneInfo
    start: datetime
    interactive: bool
    speak: bool
    speak_required: bool
    mic: bool


def moving_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at ``start`` (``--now``) and runs at real speed."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def say_line(text: str) -> None:
    """Print one assistant utterance as its own stdout line."""
    click.echo(f"assistant: {text}")


async def _chat(settings: Settings, options: ChatOptions) -> None:
    speaker = _speaker(settings, options.speak_required) if options.speak else TextOnlySpeaker()
    session = await open_session(
        settings,
        zone=options.zone,
        clock=moving_clock(options.start),
        on_say=say_line,
        speaker=speaker,
        timeouts=options.interactive,
    )
    background: list[asyncio.Task[None]] = []
    try:
        if options.interactive:
            # Retrying an earlier run's unsent messages against a slow backend
            # must not keep the driver waiting for the first prompt.
            background.append(asyncio.create_task(session.runner.start()))
        else:
            await session.runner.start()  # piped: its notices come first, in order
        # From here on the worker delivers whatever is due, for as long as we run.
        session.start_delivery()
        background.append(asyncio.create_task(session.runner.watch_notices()))
        background.append(asyncio.create_task(session.runner.watch_incoming()))
        if options.interactive:
            background.append(asyncio.create_task(_timers(session.runner)))
        if options.mic:
            await _mic_loop(settings, session.runner)
        else:
            await _typed_loop(session.runner, prompt=PROMPT if sys.stdin.isatty() else "")
    finally:
        for task in background:
            task.cancel()
        for task in background:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await session.aclose()


def _speaker(settings: Settings, explicit: bool) -> Speaker:
    tts = settings.tts
    try:
        return open_speaker(Voice(tts.voice, tts.rate, tts.volume))
    except TTSUnavailableError as exc:
        if explicit:
            raise
        click.echo(f"drivetalk: speech is off: {exc}", err=True)
        return TextOnlySpeaker()


async def _typed_loop(runner: DialogRunner, prompt: str) -> None:
    """Each line is one turn; a line typed while the assistant talks barges in."""
    turn: asyncio.Task[None] | None = None
    while True:
        line = await _read_line_async(prompt)
        if line is None:
            break
        if turn is not None and not turn.done():
            runner.barge_in()
        if turn is not None:
            await turn
        turn = asyncio.create_task(runner.hear(line.strip()))
        if not prompt:
            await turn  # piped input: strictly one turn after the other
        else:
            # Let the reply text appear before the next prompt; speech may go
            # on, and typing over it interrupts it.
            await asyncio.wait({turn}, timeout=_REPLY_GRACE)
    if turn is not None:
        await turn


async def _read_line_async(prompt: str) -> str | None:
    """Read one line on a daemon thread: Ctrl-C must not wait for the Enter key."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[str | None] = loop.create_future()

    def read() -> None:
        try:
            line = _read_line(prompt)
        except (OSError, ValueError) as exc:  # stdin closed or unreadable
            loop.call_soon_threadsafe(_settle, done, None, exc)
            return
        loop.call_soon_threadsafe(_settle, done, line, None)

    threading.Thread(target=read, name="drivetalk-stdin", daemon=True).start()
    return await done


def _settle(
    future: asyncio.Future[str | None], line: str | None, error: BaseException | None
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(line)


def _read_line(prompt: str) -> str | None:
    if prompt:
        try:
            return input(prompt)
        except EOFError:
            return None
    line = sys.stdin.readline()
    return line if line else None


async def _mic_loop(settings: Settings, runner: DialogRunner) -> None:
    """Speech turns from the microphone through the configured vosk model."""
    from assistant.asr import Listener, transcriber_from_settings
    from assistant.audio.endpoint import EndpointConfig
    from assistant.audio.microphone import Microphone
    from assistant.dialog.voice import listen_loop

    # Open the microphone before loading the model: no device fails in
    # milliseconds instead of after a model load of several seconds.
    microphone = Microphone(rate=_MIC_RATE)
    microphone.start()
    try:
        transcriber, _choice = await asyncio.to_thread(transcriber_from_settings, settings)
        if transcriber.sample_rate != _MIC_RATE:
            microphone.close()
            microphone = Microphone(rate=transcriber.sample_rate)
            microphone.start()
        click.echo("drivetalk: listening (Ctrl-C to stop)", err=True)
        endpointing = EndpointConfig.from_settings(settings.asr)
        await listen_loop(runner, Listener(transcriber, endpointing), microphone)
    finally:
        microphone.close()


async def _timers(runner: DialogRunner) -> None:
    while True:
        await asyncio.sleep(_TICK)
        await runner.tick()
