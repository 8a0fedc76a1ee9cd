"""``drivetalk keys create | list | revoke``: API keys of the fleet server."""

from __future__ import annotations

import json
from pathlib import Path

import click

from assistant.cli.options import data_dir_option, settings_from
from assistant.config import Settings
from assistant.server.keys import KeyInfo, KeyStore
from assistant.storage.fleet import open_key_store


def _store(settings: Settings) -> KeyStore:
    return open_key_store(settings)


def _as_json(info: KeyInfo) -> dict[str, str | None]:
    return {
        "key_id": info.key_id,
        "tenant": info.tenant,
        "vehicle": info.vehicle,
        "created_at": info.created_at.isoformat(),
        "revoked_at": info.revoked_at.isoformat() if info.revoked_at else None,
    }


@click.group("keys")
def command() -> None:
    """Create, list and revoke API keys (one per tenant vehicle)."""


@command.command("create")
@click.option("--tenant", required=True, help="Tenant (company) name: a-z, 0-9, '-', '_'.")
@click.option("--vehicle", required=True, help="Vehicle name or id: a-z, 0-9, '-', '_'.")
@data_dir_option
@click.pass_context
def create(ctx: click.Context, tenant: str, vehicle: str, data_dir: Path | None) -> None:
    """Create a key and print it ONCE (only its hash is stored)."""
    store = _store(settings_from(ctx, data_dir=data_dir))
    try:
        new = store.create(tenant, vehicle)
    finally:
        store.close()
    click.echo(new.secret)
    click.echo(
        f"key {new.info.key_id} for {tenant}/{vehicle}: store it now, it cannot be shown again",
        err=True,
    )


@command.command("list")
@click.option("--tenant", help="Only this tenant's keys.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@data_dir_option
@click.pass_context
def list_keys(ctx: click.Context, tenant: str | None, as_json: bool, data_dir: Path | None) -> None:
    """List keys (ids, tenants, vehicles; never the secrets)."""
    store = _store(settings_from(ctx, data_dir=data_dir))
    try:
        keys = store.list(tenant)
    finally:
        store.close()
    for info in keys:
        if as_json:
            click.echo(json.dumps(_as_json(info)))
        else:
            state = f"revoked {info.revoked_at:%Y-%m-%d}" if info.revoked_at else "active"
            click.echo(f"{info.key_id}  {info.tenant}/{info.vehicle}  {state}")


@command.command("revoke")
@click.argument("key_id")
@data_dir_option
@click.pass_context
def revoke(ctx: click.Context, key_id: str, data_dir: Path | None) -> None:
    """Revoke the key KEY_ID; it stops working at once."""
    store = _store(settings_from(ctx, data_dir=data_dir))
    try:
        info = store.revoke(key_id)
    finally:
        store.close()
    click.echo(f"revoked {info.key_id} ({info.tenant}/{info.vehicle})")
