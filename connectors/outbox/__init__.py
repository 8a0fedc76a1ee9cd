"""The durable outbox and its delivery worker.

``store``     Outbox: SQLite queue, attempts and their outcomes, notices owed
``schedule``  DeliverySchedule: backoff with jitter, cap, time to live, Retry-After
``worker``    DeliveryWorker: delivers due messages in the background of a process
"""

from connectors.outbox.schedule import DeliverySchedule
from connectors.outbox.store import OUTBOX_FILE, EntryState, Outbox, OutboxEntry, Sender
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
