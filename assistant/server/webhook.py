"""Mount the webhook connector's signed inbound endpoint, one receiver per tenant.

``POST /v1/webhook/<tenant>/inbound`` is authenticated by the webhook
contract's HMAC signature (the enterprise backend holds the tenant's shared
secret), not by an API key. It reaches the tenant's connector only when that
tenant's backend is ``webhook`` and the tenant is open; tenants whose
backend is the webhook are opened at startup so pushes are never refused
for want of a session.

Each tenant must verify pushes with its own secret: otherwise whoever holds
one tenant's secret could push messages to another tenant's drivers. So the
webhook backend is chosen per tenant (``tenant.toml``), never server-wide,
and two tenants whose inbound secrets are equal are refused at start
(:func:`check_webhook_secrets`) and when a tenant opens later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path

from fastapi import FastAPI

from assistant.config import Settings
from assistant.errors import ConfigError, DriveTalkError
from assistant.server.state import ServerState
from assistant.server.tenants import backend_for, inbound_secret_env, secret_fingerprint
from connectors.webhook.inbound import InboundReceiver, create_inbound_router

log = logging.getLogger(__name__)


class TenantReceivers(Mapping[str, InboundReceiver]):
    """Open tenants whose connector accepts signed pushes, by tenant name."""

    def __init__(self, state: ServerState) -> None:
        self._state = state

    def _receivers(self) -> dict[str, InboundReceiver]:
        fanout = self._state.fanout
        found: dict[str, InboundReceiver] = {
            t.name: t.connector  # type: ignore[misc]
            for t in self._state.tenants.opened()
            if callable(getattr(t.connector, "receive", None))
        }
        if fanout is None:
            return found
        return {name: fanout.wrap(name, receiver) for name, receiver in found.items()}

    def __getitem__(self, tenant: str) -> InboundReceiver:
        return self._receivers()[tenant]

    def __iter__(self) -> Iterator[str]:
        return iter(self._receivers())

    def __len__(self) -> int:
        return len(self._receivers())


def mount_inbound_webhook(app: FastAPI, state: ServerState) -> None:
    """Include the inbound router under ``/v1/webhook``."""
    app.include_router(create_inbound_router(TenantReceivers(state), prefix="/v1/webhook"))


async def open_webhook_tenants(state: ServerState) -> None:
    """Open every existing tenant whose backend is the webhook (so pushes have a receiver)."""
    root = state.settings.data_dir / "tenants"
    if not root.is_dir():
        return
    for tenant_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        try:
            if backend_for(state.settings, tenant_dir).name == "webhook":
                await state.tenants.get(tenant_dir.name)
        except DriveTalkError as exc:
            log.warning("tenant %s: webhook backend not opened: %s", tenant_dir.name, exc)


def check_webhook_secrets(settings: Settings, env: Mapping[str, str]) -> None:
    """ConfigError if the webhook is server-wide or two tenants share an inbound secret."""
    if settings.backend == "webhook":
        raise ConfigError(
            "backend = 'webhook' cannot be server-wide: every tenant needs its own webhook"
            " secret. Choose it per tenant in <data_dir>/tenants/<tenant>/tenant.toml"
            " (backend = 'webhook' with its own [connectors.webhook] secret_env)"
        )
    owners: dict[bytes, tuple[str, str]] = {}
    for tenant_dir in _tenant_dirs(settings):
        try:
            choice = backend_for(settings, tenant_dir)
        except ConfigError:
            continue  # reported when the tenant opens
        digest = secret_fingerprint(choice, env)
        if digest is None:
            continue
        variable = inbound_secret_env(choice) or ""
        if digest in owners:
            other, other_variable = owners[digest]
            raise ConfigError(
                f"tenants {other!r} and {tenant_dir.name!r} share one webhook secret"
                f" ({other_variable} and {variable} hold the same value): each tenant"
                " needs its own, or one tenant's backend could push to the other's drivers"
            )
        owners[digest] = (tenant_dir.name, variable)


def _tenant_dirs(settings: Settings) -> list[Path]:
    root = settings.data_dir / "tenants"
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
