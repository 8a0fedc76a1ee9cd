"""``drivetalk model list | pull NAME | path``: the speech model catalogue and cache."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from assistant.asr.catalogue import catalogue, find_entry
from assistant.asr.download import pull_model
from assistant.asr.locate import installed_models, models_dir, select_model
from assistant.cli.options import settings_from


@click.group("model")
def command() -> None:
    """List, download and locate vosk speech models."""


@command.command("list")
def list_models() -> None:
    """Show the catalogue of official vosk models and which are installed."""
    installed = {p.name for p in installed_models()}
    table = Table(box=None)
    table.add_column("name", no_wrap=True)
    for heading in ("lang", "size", "installed", "note"):
        table.add_column(heading)
    for entry in catalogue():
        table.add_row(
            entry.name, entry.lang, entry.size, "yes" if entry.name in installed else "", entry.note
        )
    # Piped output is read by scripts: never truncate names to 80 columns.
    Console(width=None if sys.stdout.isatty() else 160).print(table)
    click.echo(f"models directory: {models_dir()}")


@command.command("pull")
@click.argument("name")
@click.option("--url", help="Download from this address instead of the catalogue's.")
@click.option("--force", is_flag=True, help="Reinstall even if the model is installed.")
def pull(name: str, url: str | None, force: bool) -> None:
    """Download NAME, verify it and install it into the user cache dir."""
    address = url or find_entry(name).url
    if sys.stderr.isatty():
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        ) as bar:
            task = bar.add_task(name, total=None)
            path = pull_model(
                name,
                address,
                models_dir(),
                force=force,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    else:
        path = pull_model(name, address, models_dir(), force=force)
    click.echo(path)


@command.command("path")
@click.option(
    "--model",
    type=click.Path(path_type=Path),
    help="Model directory (outranks DRIVETALK_MODEL and the config file).",
)
@click.pass_context
def path(ctx: click.Context, model: Path | None) -> None:
    """Print the model directory DriveTalk would use, and (with -v) why."""
    choice = select_model(model, settings_from(ctx).model)
    click.echo(choice.path)
    if ctx.find_root().obj.get("verbose"):
        click.echo(f"selected by: {choice.source}", err=True)
