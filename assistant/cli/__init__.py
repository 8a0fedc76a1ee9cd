"""The ``drivetalk`` command: one group, one module per subcommand.

Every subcommand module exposes a click command (or group) named ``command``.
Modules are imported only when their command runs (``drivetalk --help`` reads
the one-line summaries from :data:`COMMANDS` and imports none of them), and
heavy libraries (numpy, vosk, onnxruntime, fastapi) are imported inside the
commands that use them, so start-up costs what the command needs and no more.
:func:`main` turns any :class:`~assistant.errors.DriveTalkError` into one line
on stderr and its exit code; ``--verbose`` adds the traceback.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from assistant import __version__
from assistant.errors import DriveTalkError

#: Subcommand name -> (module under ``assistant.cli``, one-line summary for ``--help``).
#: A test checks each summary against the command's own docstring.
COMMANDS: dict[str, tuple[str, str]] = {
    "chat": (
        "chat",
        "Talk to the assistant: send and read messages, check the calendar.",
    ),
    "connectors": (
        "connectors",
        "Chat and calendar backends: what is installed, and whether one works.",
    ),
    "demo-data": (
        "demo_data",
        "Seed the local store with the demo organisation (people, chats, meetings).",
    ),
    "keys": (
        "keys",
        "Create, list and revoke API keys (one per tenant vehicle).",
    ),
    "model": (
        "model",
        "List, download and locate vosk speech models.",
    ),
    "nlu-eval": (
        "nlu_eval",
        "Per-intent accuracy, out-of-domain false actions and confusions on FILE.",
    ),
    "parse": (
        "parse",
        "Parse utterances (one a line on stdin) into intents and slots (JSON lines).",
    ),
    "replay": (
        "replay",
        "Replay the cases of a manifest (PATH: the file, or a directory holding it).",
    ),
    "serve": (
        "serve",
        "Serve REST, WebSocket streaming and the browser page for a fleet of cars.",
    ),
    "transcribe": (
        "transcribe",
        "Transcribe WAV files (any PCM/float encoding) and print JSON lines.",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use, not at start-up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every subcommand name, sorted (as click lists them)."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import the subcommand's module and return its ``command``."""
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"assistant.cli.{COMMANDS[cmd_name][0]}")
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List subcommands from :data:`COMMANDS` without importing them."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows: list[tuple[str, str]] = []
        for command_name in names:
            summary: str = COMMANDS[command_name][1]
            rows.append((command_name, _shorten(summary, limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="drivetalk")
@click.option("-v", "--verbose", is_flag=True, help="Show details and tracebacks on errors.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    envvar="DRIVETALK_CONFIG",
    help="TOML configuration file (default: the user config dir's drivetalk/config.toml).",
)
@click.pass_context
def cli(ctx: click.Context, verbose: bool, config_file: str | None) -> None:
    """DriveTalk: hands-free enterprise messaging and calendar for drivers."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    ctx.obj["config_file"] = config_file
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _shorten(text: str, limit: int) -> str:
    """``text`` cut at a word to fit ``limit`` columns, with "..." (as click shows help)."""
    if len(text) <= limit:
        return text
    kept = ""
    for word in text.split():
        if len(kept) + len(word) + 1 + 3 > limit:
            break
        kept = f"{kept} {word}" if kept else word
    return kept + "..."


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code."""
    verbose = "-v" in (argv or sys.argv[1:]) or "--verbose" in (argv or sys.argv[1:])
    try:
        code = cli.main(args=argv, prog_name="drivetalk", standalone_mode=False)
    except DriveTalkError as exc:
        if verbose:
            logging.getLogger("drivetalk").exception("command failed")
        # An error with several problems (a manifest) prints each on its own line.
        for line in getattr(exc, "lines", None) or (str(exc),):
            click.echo(f"drivetalk: error: {line}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("drivetalk: aborted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"drivetalk: error: {_one_line(exc)}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    # Commands signal failure by returning an int (e.g. a check that failed).
    return code if isinstance(code, int) else 0


def _one_line(exc: click.ClickException) -> str:
    """A usage error as one line, pointing at the subcommand's help."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return message


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
