"""Mount the webhook connector's signed inbound endpoint, one receiver per tenant.

``POST /v1/webhook/<tenant>/inbound`` is authenticated by the webhook
contract's HMAC signature (the enterprise backend holds the tenant's shared
secret), not by an API key. It reaches the tenant's connector only when that
tenant's backend is ``webhook`` and the tenant is open; tenants whose
backend is the webhook are opened at startup so pushes are never refused
for want of a session.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping

from fastapi import FastAPI

from assistant.errors import DriveTalkError
from assistant.server.state import ServerState
from assistant.server.tenants import backend_for
from connectors.webhook.inbound import InboundReceiver, create_inbound_router

log = logging.getLogger(__name__)


class TenantReceivers(Mapping[str, InboundReceiver]):
    """Open tenants whose connector accepts signed pushes, by tenant name."""

    def __init__(self, state: ServerState) -> None:
        self._state = state

    def _receivers(self) -> dict[str, InboundReceiver]:
        return {
            t.name: t.connector  # type: ignore[misc]
            for t in self._state.tenants.opened()
            if callable(getattr(t.connector, "receive", None))
        }

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
