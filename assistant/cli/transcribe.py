"""``drivetalk transcribe FILE...``: one JSON object per file on stdout.

Any installed model will do (nothing is understood here, only written
down); each object carries the model's ``language`` (ISO 639-1, null when
unknown), and the stderr line about the model names it too.

A file that cannot be read or decoded gives ``{"file": ..., "error": ...,
"error_type": ...}`` in its place; the other files are still transcribed and
the command ends with one ``drivetalk: error: N of M files could not be
transcribed`` line on stderr and a non-zero exit status (2 when every
failure was bad input, 1 otherwise).

With ``--segments`` each file is cut into utterances by the endpointer
(:mod:`assistant.asr.segments`) and each utterance is one JSON line; a file
without speech gives no line, and a note on stderr says so.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from assistant.asr.catalogue import language_name
from assistant.asr.factory import transcriber_from_settings
from assistant.asr.filetranscribe import FileTranscript, transcribe_file, transcribe_source
from assistant.asr.listener import Listener
from assistant.asr.segments import FileSegments, segment_file, segment_source
from assistant.asr.vosk_engine import VoskTranscriber
from assistant.audio.endpoint import EndpointConfig
from assistant.audio.formats import PcmFormat
from assistant.audio.sources import RawPcmSource
from assistant.audio.vad import resolve_vad
from assistant.cli.options import settings_from
from assistant.errors import ASRError, DriveTalkError, UserInputError


@click.command("transcribe")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--model",
    type=click.Path(path_type=Path),
    help="Model directory (outranks DRIVETALK_MODEL and the config file).",
)
@click.option(
    "--alternatives", type=click.IntRange(1, 20), help="n-best size (default: [asr] setting)."
)
@click.option(
    "--grammar",
    "grammar",
    multiple=True,
    metavar="PHRASE",
    help="Expected phrase (repeat); constrains recognition when the model allows it.",
)
@click.option(
    "--raw",
    "raw_spec",
    metavar="FORMAT:RATE[:CH]",
    help="Files are headerless PCM, e.g. s16le:16000:1 or f32le:48000:2 ('-' reads stdin).",
)
@click.option(
    "--max-seconds",
    type=click.FloatRange(min=0),
    default=120.0,
    show_default=True,
    help="Stop decoding a file after this much audio (0: no limit); cut files say truncated.",
)
@click.option(
    "--segments",
    is_flag=True,
    help="Cut each file into utterances with the endpointer ([asr] vad): one JSON line each "
    "with file, start, end, end_reason, text, alternatives.",
)
@click.pass_context
def command(
    ctx: click.Context,
    *,
    files: tuple[Path, ...],
    model: Path | None,
    alternatives: int | None,
    grammar: tuple[str, ...],
    raw_spec: str | None,
    max_seconds: float,
    segments: bool,
) -> None:
    """Transcribe WAV files (any PCM/float encoding) and print JSON lines."""
    raw = PcmFormat.parse(raw_spec) if raw_spec else None
    settings = settings_from(ctx)
    # The endpointer's VAD is checked before the model loads: a missing
    # runtime fails in milliseconds, not after seconds of loading.
    endpointing = EndpointConfig.from_settings(settings.asr) if segments else None
    if endpointing is not None:
        resolve_vad(endpointing.vad)
    transcriber, choice = transcriber_from_settings(
        settings, locale=None, model=model, alternatives=alternatives
    )
    language = choice.language
    heard = f"{language_name(language)} ({language})" if language else "language unknown"
    click.echo(
        f"drivetalk: model {choice.path} ({choice.source}, {heard}) loaded in "
        f"{transcriber.model.load_seconds:.2f} s",
        err=True,
    )
    listener = (
        None if endpointing is None else Listener(transcriber, endpointing, stall_seconds=None)
    )
    failed: list[DriveTalkError] = []
    for file in files:
        try:
            if listener is not None:
                _print_segments(_segment_one(listener, file, raw, grammar, max_seconds), language)
                continue
            result = _transcribe_one(transcriber, file, raw, grammar, max_seconds).to_dict()
            result["language"] = language
        except DriveTalkError as exc:
            failed.append(exc)
            result = {"file": str(file), "error": str(exc), "error_type": type(exc).__name__}
        click.echo(json.dumps(result, ensure_ascii=False))
        sys.stdout.flush()
    if failed:
        error = FilesFailedError if all(isinstance(e, UserInputError) for e in failed) else ASRError
        raise error(f"{len(failed)} of {len(files)} files could not be transcribed")


def _transcribe_one(
    transcriber: VoskTranscriber,
    file: Path,
    raw: PcmFormat | None,
    grammar: tuple[str, ...],
    max_seconds: float,
) -> FileTranscript:
    if str(file) != "-":
        return transcribe_file(
            transcriber, file, raw=raw, grammar=grammar or None, max_seconds=max_seconds
        )
    if raw is None:
        raise UserInputError("reading audio from stdin (-) needs --raw FORMAT:RATE[:CH]")
    source = RawPcmSource(sys.stdin.buffer, raw)
    return transcribe_source(
        transcriber, source, "-", grammar=grammar or None, max_seconds=max_seconds
    )


def _segment_one(
    listener: Listener,
    file: Path,
    raw: PcmFormat | None,
    grammar: tuple[str, ...],
    max_seconds: float,
) -> FileSegments:
    if str(file) != "-":
        return segment_file(
            listener, file, raw=raw, grammar=grammar or None, max_seconds=max_seconds
        )
    if raw is None:
        raise UserInputError("reading audio from stdin (-) needs --raw FORMAT:RATE[:CH]")
    source = RawPcmSource(sys.stdin.buffer, raw)
    return segment_source(listener, source, "-", grammar=grammar or None, max_seconds=max_seconds)


def _print_segments(result: FileSegments, language: str | None) -> None:
    """One JSON line per utterance; a note on stderr for no speech or a cut file."""
    for segment in result.segments:
        line = {**segment.to_dict(), "language": language}
        click.echo(json.dumps(line, ensure_ascii=False))
    sys.stdout.flush()
    if not result.segments:
        click.echo(
            f"drivetalk: {result.file}: no speech detected in "
            f"{result.audio_duration:.1f} s (0 segments)",
            err=True,
        )
    if result.truncated:
        click.echo(
            f"drivetalk: {result.file}: stopped at {result.audio_duration:.1f} s (--max-seconds)",
            err=True,
        )


class FilesFailedError(UserInputError):
    """Some input files were bad; their JSON lines say why."""
