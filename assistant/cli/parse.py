"""``drivetalk parse``: utterances on stdin, one JSON parse result a line on stdout.

Every input line gives exactly one output line, in order, flushed at once,
so the command can sit at the end of a pipe. Names resolve against the
embedded store (``--data-dir``) or a contacts file (``--contacts``).
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

import click

from assistant.cli.options import clock_from, data_dir_option, now_option, settings_from, tz_option
from assistant.config import default_cache_dir
from assistant.errors import ConfigError
from assistant.locales import LOCALES
from assistant.models import Contact
from intents.directory import read_contacts
from intents.parser import Parser

contacts_option = click.option(
    "--contacts",
    "contacts_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Contacts to resolve names against: JSON list or CSV (id,name,kind,department,...).",
)

index_cache_option = click.option(
    "--index-cache",
    "index_cache",
    default=None,
    metavar="DIR|off",
    help="Where the --contacts file's built name index is kept between runs"
    " (default: the user cache directory; 'off': build it every time).",
)


def index_cache_dir(value: str | None) -> Path | None:
    """The directory of ``--index-cache`` (None: no cache)."""
    if value is None:
        return default_cache_dir() / "contact-index"
    return None if value.strip().lower() == "off" else Path(value)


def _check_locale(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and value not in LOCALES:
        raise ConfigError(f"unknown locale {value!r} (supported: {', '.join(LOCALES)})")
    return value


locale_option = click.option(
    "--locale",
    "locale",
    metavar="LOCALE",
    callback=_check_locale,
    help="Language of the utterances: en or zh (default: the configured locale).",
)


@click.command("parse")
@now_option
@locale_option
@tz_option
@data_dir_option
@contacts_option
@index_cache_option
@click.pass_context
def command(
    ctx: click.Context,
    *,
    now_text: str | None,
    tz_name: str | None,
    data_dir: Path | None,
    contacts_file: Path | None,
    index_cache: str | None,
    locale: str | None,
) -> None:
    """Parse utterances (one a line on stdin) into intents and slots (JSON lines)."""
    settings = settings_from(ctx, data_dir=data_dir, locale=locale)
    fixed_now = clock_from(settings, now_text, tz_name) if now_text else None
    zone = clock_from(settings, None, tz_name).tzinfo
    # Without --contacts, the names chat would use: [directory], else the local store.
    contacts_file = contacts_file or settings.directory.path
    if contacts_file is not None:
        cache = index_cache_dir(index_cache)
        parser = Parser.from_contacts_file(
            contacts_file, settings.locale, cache, arbiter=settings.nlu.arbiter
        )
    elif settings.directory.connector is not None:
        # Only here: building a connector pulls in the network stack.
        from assistant.directory_source import directory_contacts

        contacts = asyncio.run(directory_contacts(settings))
        parser = Parser.from_contacts(contacts, settings.locale, arbiter=settings.nlu.arbiter)
    else:
        contacts = load_directory(None, settings.data_dir, fixed_now)
        parser = Parser.from_contacts(contacts, settings.locale, arbiter=settings.nlu.arbiter)
    for line in sys.stdin:
        now = fixed_now or datetime.now(zone)
        emit(parser, line.rstrip("\r\n"), now, sys.stdout)


def load_directory(
    contacts_file: Path | None, data_dir: Path, now: datetime | None
) -> list[Contact]:
    """The contacts names resolve against: a file, or the local store (the demo if empty)."""
    if contacts_file is not None:
        return read_contacts(contacts_file)
    from datetime import UTC

    from connectors.local.demo import open_demo_store

    moment = now or datetime.now(UTC)
    store = open_demo_store(data_dir, moment, moment.tzinfo)
    try:
        return store.contacts()
    finally:
        store.close()


def emit(parser: Parser, text: str, now: datetime, out: TextIO) -> None:
    """Parse one line and write its JSON object, flushed."""
    result = parser.parse(text, now=now)
    out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    out.flush()
