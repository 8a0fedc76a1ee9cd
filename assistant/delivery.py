"""The outbox and its delivery worker, built from the ``[outbox]`` settings.

``drivetalk chat`` opens one of each for its data directory; ``drivetalk
serve`` one of each per tenant. Both start the worker with the process, so
a message confirmed before a crash, a restart or a tunnel is delivered
without waiting for a driver to open a session.
"""

from __future__ import annotations

from pathlib import Path

from assistant.config import OutboxSettings
from assistant.storage.database import Database
from connectors.outbox import DeliverySchedule, DeliveryWorker, Outbox
from connectors.outbox.store import prepare_shared
from connectors.ports import MessagingPort
from connectors.retry import RetryPolicy


def schedule_from(settings: OutboxSettings) -> DeliverySchedule:
    """The durable backoff schedule and time to live."""
    return DeliverySchedule(
        base_delay=settings.base_delay_s, max_delay=settings.max_delay_s, ttl=settings.ttl_s
    )


def answer_policy(settings: OutboxSettings) -> RetryPolicy:
    """How long the dialog tries right after "yes" before telling the driver "queued"."""
    return RetryPolicy(
        max_attempts=8,
        base_delay=min(0.5, settings.base_delay_s),
        max_delay=min(30.0, settings.max_delay_s),
        deadline=settings.answer_within_s,
    )


def open_outbox(path: Path, settings: OutboxSettings) -> Outbox:
    """The outbox at ``path`` with the configured schedule."""
    return Outbox.open(path, policy=answer_policy(settings), schedule=schedule_from(settings))


def open_shared_outbox(db: Database, tenant: str, settings: OutboxSettings) -> Outbox:
    """``tenant``'s outbox in the fleet database, shared by every replica."""
    return Outbox.shared(
        db,
        tenant,
        policy=answer_policy(settings),
        schedule=schedule_from(settings),
        lease=settings.claim_lease_s,
    )


def tenants_with_pending(db: Database) -> list[str]:
    """Tenants whose shared outbox holds undelivered messages (at replica start)."""
    prepare_shared(db)  # creates or upgrades the table before the first look
    rows = db.query("SELECT DISTINCT tenant FROM outbox WHERE state = 'pending' ORDER BY tenant")
    return [str(row[0]) for row in rows]


def worker_for(
    outbox: Outbox, connector: object, settings: OutboxSettings
) -> DeliveryWorker | None:
    """A delivery worker for ``outbox``, or None if the backend cannot send messages."""
    if not isinstance(connector, MessagingPort):
        return None
    return DeliveryWorker(outbox, connector, idle_poll=settings.idle_poll_s)
