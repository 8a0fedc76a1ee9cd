"""The ``drivetalk`` command: one group, one module per subcommand.

Every subcommand module exposes a click command (or group) named ``command``.
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

#: Subcommand modules under ``assistant.cli``; each defines ``command``.
COMMAND_MODULES = (
    "chat",
    "connectors",
    "demo_data",
    "keys",
    "model",
    "serve",
    "transcribe",
    "parse",
    "nlu_eval",
    "replay",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


for _name in COMMAND_MODULES:
    cli.add_command(importlib.import_module(f"assistant.cli.{_name}").command)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code."""
    verbose = "-v" in (argv or sys.argv[1:]) or "--verbose" in (argv or sys.argv[1:])
    try:
        code = cli.main(args=argv, prog_name="drivetalk", standalone_mode=False)
    except DriveTalkError as exc:
        if verbose:
            logging.getLogger("drivetalk").exception("command failed")
        click.echo(f"drivetalk: error: {exc}", err=True)
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
