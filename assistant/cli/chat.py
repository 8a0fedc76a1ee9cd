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
import functools
import io
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from assistant.cli.options import (
    clock_from,
    data_dir_option,
    locale_from,
    locale_option,
    now_option,
    parse_zone,
    settings_from,
    tz_option,
)
from assistant.compose import open_conversation
from assistant.config import Settings
from assistant.dialog.runner import DialogRunner
from assistant.dialog.sink import ShownAndSpoken
from assistant.dialog.turn import Turn
from assistant.directory_source import missing_directory
from assistant.errors import TTSUnavailableError, UserInputError
from assistant.tts import Speaker, TextOnlySpeaker, locale_voice, open_speaker

if TYPE_CHECKING:
    from assistant.asr.base import Transcriber
    from assistant.asr.wake import WakePhrase

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
    "--contacts",
    "contacts_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Look names up in this contacts file (CSV or JSON, as parse reads), whatever the"
    " backend: [directory] path for this run.",
)
@click.option(
    "--speak/--no-speak",
    default=None,
    help="Speak replies (default: only when stdout is a terminal).",
)
@click.option("--mic", is_flag=True, help="Listen on the microphone instead of reading text.")
@locale_option
@click.option(
    "--audio-in",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="WAV",
    help="Listen to a recording, played in real time, as if it were the microphone.",
)
@click.option(
    "--wake/--no-wake",
    default=None,
    help="Hands-free: only speech after the wake phrase is a command (default: [wake] enabled).",
)
@click.option(
    "--push-to-talk",
    is_flag=True,
    help="Press space to talk and space again to stop, instead of voice detection.",
)
@click.pass_context
def command(
    ctx: click.Context,
    *,
    data_dir: Path | None,
    now_text: str | None,
    tz_name: str | None,
    backend: str | None,
    contacts_file: Path | None,
    speak: bool | None,
    mic: bool,
    locale_name: str | None,
    audio_in: Path | None,
    wake: bool | None,
    push_to_talk: bool,
) -> None:
    """Talk to the assistant: send and read messages, check the calendar.

    On a terminal: type at the prompt, replies are printed and spoken. With
    stdin not a terminal, each line is one turn and each reply is printed
    as one "assistant: ..." line on stdout. With --mic (or --audio-in) the
    driver speaks: hands-free with voice detection (after the wake phrase
    with --wake), or holding the floor with the space bar (--push-to-talk).
    """
    locale = locale_from(locale_name)
    directory = {"path": contacts_file} if contacts_file is not None else None
    settings = settings_from(
        ctx, data_dir=data_dir, backend=backend, locale=locale, directory=directory
    )
    speech_in = mic or audio_in is not None
    if push_to_talk and not speech_in:
        raise UserInputError("--push-to-talk needs --mic or --audio-in")
    if push_to_talk and not sys.stdin.isatty():
        raise UserInputError("--push-to-talk needs a terminal: stdin is not one")
    if isinstance(sys.stdin, io.TextIOWrapper):
        # A stray byte that is not UTF-8 is an unintelligible turn, not a crash.
        sys.stdin.reconfigure(errors="replace")
    start = clock_from(settings, now_text, tz_name)
    zone = parse_zone(tz_name) if tz_name else settings.zone
    options = ChatOptions(
        zone=zone,
        start=start,
        interactive=speech_in or sys.stdin.isatty(),
        speak=settings.tts.enabled and (speak if speak is not None else sys.stdout.isatty()),
        speak_required=speak is True,
        mic=speech_in,
        audio_in=audio_in,
        wake=settings.wake.enabled if wake is None else wake,
        push_to_talk=push_to_talk,
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
    #: Speech in (microphone or --audio-in) instead of typed lines.
    mic: bool
    audio_in: Path | None = None
    #: Hands-free: commands only after the wake phrase.
    wake: bool = False
    push_to_talk: bool = False


def moving_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at ``start`` (``--now``) and runs at real speed."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def say_line(text: str) -> None:
    """Print one assistant utterance as its own stdout line."""
    click.echo(f"assistant: {text}")


async def _chat(settings: Settings, options: ChatOptions) -> None:
    voice = _speaker(settings, options.speak_required) if options.speak else TextOnlySpeaker()
    session = await open_conversation(
        settings,
        zone=options.zone,
        clock=moving_clock(options.start),
        speech=ShownAndSpoken(say_line, voice),
        timeouts=options.interactive,
    )
    if not session.directory.configured:
        _tell(missing_directory(settings.backend))
    background: list[asyncio.Task[None]] = []
    for note in session.notes:
        _tell(note)
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
            await _mic_loop(settings, session.runner, options)
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
    try:
        return open_speaker(locale_voice(settings.tts, settings.locale))
    except TTSUnavailableError as exc:
        if explicit:
            raise
        click.echo(f"drivetalk: speech is off: {exc}", err=True)
        return TextOnlySpeaker()


async def _typed_loop(runner: DialogRunner, prompt: str) -> None:
    """Each line is one turn; a line typed while the assistant talks barges in."""
    turn: asyncio.Task[Turn] | None = None
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


async def _mic_loop(settings: Settings, runner: DialogRunner, options: ChatOptions) -> None:
    """Speech turns from the microphone (or a recording) through the configured model."""
    # Imported here: typed chat starts without loading the speech stack.
    from assistant.asr import transcriber_from_settings
    from assistant.asr.wake import WakePhrase
    from assistant.audio.microphone import Microphone

    wake = WakePhrase.from_settings(settings.wake, settings.locale) if options.wake else None
    if options.audio_in is not None:
        from assistant.audio.sources import open_audio

        open_audio(options.audio_in).close()  # a missing or bad file fails before the model loads
        transcriber, _choice = await asyncio.to_thread(
            functools.partial(
                transcriber_from_settings, settings, locale=settings.locale, names=runner.names
            )
        )
        audio = played_in_real_time(options.audio_in, transcriber.sample_rate)
        await _speech_turns(
            settings, runner, options, transcriber=transcriber, audio=audio, wake=wake
        )
        return
    # Open the microphone before loading the model: no device fails in
    # milliseconds instead of after a model load of several seconds.
    microphone = Microphone(rate=_MIC_RATE)
    microphone.start()
    try:
        transcriber, _choice = await asyncio.to_thread(
            functools.partial(
                transcriber_from_settings, settings, locale=settings.locale, names=runner.names
            )
        )
        if transcriber.sample_rate != _MIC_RATE:
            microphone.close()
            microphone = Microphone(rate=transcriber.sample_rate)
            microphone.start()
        await _speech_turns(
            settings,
            runner,
            options,
            transcriber=transcriber,
            audio=aiter(microphone),
            wake=wake,
        )
    finally:
        microphone.close()


async def _speech_turns(
    settings: Settings,
    runner: DialogRunner,
    options: ChatOptions,
    *,
    transcriber: Transcriber,
    audio: AsyncIterator[bytes],
    wake: WakePhrase | None,
) -> None:
    from assistant.asr.listener import Listener
    from assistant.audio.endpoint import EndpointConfig
    from assistant.cli.push_to_talk import KeyPresses, push_to_talk_loop
    from assistant.dialog.voice import listen_loop

    endpointing = EndpointConfig.from_settings(settings.asr)
    if options.push_to_talk:
        listener = Listener(transcriber, replace(endpointing, push_to_talk=True))
        with KeyPresses() as keys:
            await push_to_talk_loop(runner, listener, audio, keys, tell=_tell)
        return
    if wake is not None:
        _tell(f'say "{wake.phrase}" to talk (Ctrl-C to stop)')
    else:
        _tell("listening (Ctrl-C to stop)")
    on_wake = (lambda _heard: _tell("listening")) if wake is not None else None
    await listen_loop(runner, Listener(transcriber, endpointing), audio, wake=wake, on_wake=on_wake)


def _tell(text: str) -> None:
    """A status line for the driver, on stderr (stdout carries the replies)."""
    click.echo(f"drivetalk: {text}", err=True)


async def played_in_real_time(path: Path, rate: int, chunk_ms: int = 100) -> AsyncIterator[bytes]:
    """A recording as a microphone would give it: ``rate`` chunks, one per ``chunk_ms``."""
    from assistant.audio.sources import ChunkReader, open_audio

    with open_audio(path) as source:
        for chunk in ChunkReader(source, rate, chunk_ms=chunk_ms):
            await asyncio.sleep(len(chunk) / 2 / rate)
            yield chunk


async def _timers(runner: DialogRunner) -> None:
    while True:
        await asyncio.sleep(_TICK)
        await runner.tick()
