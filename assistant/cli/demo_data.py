"""``drivetalk demo-data``: create (or recreate) the demo organisation."""

from __future__ import annotations

from pathlib import Path

import click

from assistant.cli.options import (
    clock_from,
    data_dir_option,
    now_option,
    settings_from,
    tz_option,
)
from assistant.errors import InputFileError


@click.command("demo-data")
@data_dir_option
@now_option
@tz_option
@click.option("--reset", is_flag=True, help="Delete the existing local store first.")
@click.pass_context
def command(
    ctx: click.Context,
    data_dir: Path | None,
    now_text: str | None,
    tz_name: str | None,
    reset: bool,
) -> None:
    """Seed the local store with the demo organisation (people, chats, meetings)."""
    settings = settings_from(ctx, data_dir=data_dir)
    now = clock_from(settings, now_text, tz_name)
    from connectors.local.demo import move_demo_week, seed_demo_organisation
    from connectors.local.store import DB_NAME, LocalStore

    db = settings.data_dir / DB_NAME
    if reset:
        _remove_store(db)
    store = LocalStore.open(settings.data_dir, now=now, zone=now.tzinfo)
    try:
        existed = not store.is_empty
        moved = move_demo_week(store, now) if existed else 0
        if not existed:
            seed_demo_organisation(store, now)
        people = sum(1 for c in store.contacts() if c.kind == "person")
        groups = sum(1 for c in store.contacts() if c.kind == "group")
        unread = len(store.messages(unread_only=True))
        state = "already present" if existed else "created"
        if moved:
            state += f" (its week moved along {moved} day{'s' if moved > 1 else ''})"
        click.echo(
            f"demo organisation {state} in {store.path}: {people} colleagues, "
            f"{groups} group chats, {unread} unread messages"
        )
    finally:
        store.close()


def _remove_store(db: Path) -> None:
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise InputFileError(f"cannot delete {path}: {exc.strerror}") from exc
