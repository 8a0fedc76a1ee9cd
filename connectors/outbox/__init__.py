"""The durable outbox and its delivery worker.

``entry``     OutboxEntry and its SQLite row (table, in-place upgrades)
``store``     Outbox: SQLite queue, attempts and their outcomes, notices owed
``schedule``  DeliverySchedule: backoff with jitter, cap, time to live, Retry-After
``worker``    DeliveryWorker: delivers due messages in the background of a process
"""

from connectors.outbox.entry import EntryState, OutboxEntry
from connectors.outbox.schedule import DeliverySchedule
from connectors.outbox.store import OUTBOX_FILE, Outbox, Sender
from connectors.outbox.worker import DeliveryWorker

__all__ = [
    "OUTBOX_FILE",
    "DeliverySchedule",
    "DeliveryWorker",
    "EntryState",
    "Outbox",
    "OutboxEntry",
    "Sender",
]
