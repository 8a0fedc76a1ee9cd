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

from assistant.asr.catalogue import catalogue, find_entry, language_name, lookup
from assistant.asr.download import pull_model
from assistant.asr.language import check_language, locale_language
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
    for heading in ("language", "size", "installed", "note"):
        table.add_column(heading)
    for entry in catalogue():
        table.add_row(
            entry.name,
            entry.language,
            entry.size,
            "yes" if entry.name in installed else "",
            entry.note,
        )
    # Piped output is read by scripts: never truncate names to 80 columns.
    Console(width=None if sys.stdout.isatty() else 160).print(table)
    click.echo(f"models directory: {models_dir()}")


@command.command("pull")
@click.argument("name")
@click.option("--url", help="Download from this address instead of the catalogue's.")
@click.option("--force", is_flag=True, help="Reinstall even if the model is installed.")
def pull(name: str, url: str | None, force: bool) -> None:
    """Download NAME, verify it and install it into the user cache dir.

    A catalogue model is checked against its published SHA-256 where the
    catalogue has it (a mirror given with --url must serve the same archive).
    """
    entry = lookup(name) if url else find_entry(name)
    address = url or find_entry(name).url
    sha256 = entry.sha256 if entry is not None else None
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
                sha256=sha256,
            )
    else:
        path = pull_model(name, address, models_dir(), force=force, sha256=sha256)
    click.echo(path)


@command.command("path")
@click.option(
    "--model",
    type=click.Path(path_type=Path),
    help="Model directory (outranks DRIVETALK_MODEL and the config file).",
)
@click.option(
    "--locale",
    type=click.Choice(["en", "zh"]),
    help="The model a conversation in this locale would use (default: any, as transcribe).",
)
@click.pass_context
def path(ctx: click.Context, model: Path | None, locale: str | None) -> None:
    """Print the model directory DriveTalk would use, and (with -v) why and its language."""
    settings = settings_from(ctx)
    choice = select_model(
        model,
        settings.model,
        language=locale_language(locale) if locale else None,
        declared=settings.asr.model_language,
    )
    if locale is not None and settings.asr.language_check:
        check_language(choice.path, choice.language, locale)
    click.echo(choice.path)
    if ctx.find_root().obj.get("verbose"):
        heard = language_name(choice.language) if choice.language else "unknown language"
        click.echo(f"selected by: {choice.source}; hears: {heard}", err=True)
