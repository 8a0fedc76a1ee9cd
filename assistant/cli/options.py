"""Options and helpers shared by several subcommands (clock, zone, data dir)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from assistant.config import Settings, load_settings
from assistant.locales import Locale, check_locale


def settings_from(ctx: click.Context, **overrides: Any) -> Settings:
    """Settings for this invocation: config file, environment, then options."""
    obj = ctx.find_root().obj or {}
    return load_settings(obj.get("config_file"), **overrides)


def parse_zone(value: str) -> ZoneInfo:
    """A ``--tz`` value as a ZoneInfo, or a clear usage error."""
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(f"unknown time zone {value!r} (try e.g. Asia/Shanghai)") from exc


def parse_now(value: str | None, zone: ZoneInfo) -> datetime:
    """A ``--now`` value (ISO 8601) as an aware datetime in ``zone``.

    A value without an offset is taken as local time in ``zone``; no value
    means the current time.
    """
    if value is None:
        return datetime.now(zone)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 date-time (e.g. 2026-11-23T08:30:00+08:00)"
        ) from exc
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


now_option = click.option(
    "--now",
    "now_text",
    metavar="ISO",
    help="Fix the clock, e.g. 2026-11-23T08:30 (default: the current time).",
)
tz_option = click.option(
    "--tz",
    "tz_name",
    metavar="ZONE",
    help="IANA time zone for dates and times (default: the configured timezone).",
)
data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of the embedded local store (default: the user data dir).",
)


def clock_from(settings: Settings, now_text: str | None, tz_name: str | None) -> datetime:
    """Resolve ``--now`` / ``--tz`` against the settings into an aware 'now'."""
    zone = parse_zone(tz_name) if tz_name else settings.zone
    return parse_now(now_text, zone)


locale_option = click.option(
    "--locale",
    "locale_name",
    metavar="en|zh",
    help="Language to understand and speak: en or zh (default: the configured locale).",
)


def locale_from(value: str | None) -> Locale | None:
    """A ``--locale`` value checked (one-line ConfigError for an unknown one); None if unset."""
    return None if value is None else check_locale(value)
