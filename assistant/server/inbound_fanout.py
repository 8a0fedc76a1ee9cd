"""Inbound webhook pushes reach the car wherever its stream is: PostgreSQL LISTEN/NOTIFY.

The enterprise pushes to whichever replica the balancer picks; the car's
session may be open on another. The replica that verified the push stores
the message (``inbound_messages``, keyed by tenant and event id, which also
refuses a replay sent to a different replica) and notifies the channel;
every other replica, listening on a dedicated connection, loads the message
and hands it to that tenant's connector, which announces it to the
sessions open there.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Mapping
from datetime import datetime

from assistant.models import Message
from assistant.server.tenants import Tenants
from assistant.storage.database import Transaction
from assistant.storage.listen import listen
from assistant.storage.migrations import Migration, migrate
from assistant.storage.postgres import PostgresDatabase
from connectors.webhook.inbound import InboundReceiver
from connectors.webhook.verify import ReplayedRequestError

log = logging.getLogger(__name__)

CHANNEL = "drivetalk_inbound"


def _create(tx: Transaction) -> None:
    tx.execute(
        "CREATE TABLE IF NOT EXISTS inbound_messages (tenant TEXT NOT NULL, id TEXT NOT NULL,"
        " kind TEXT NOT NULL, payload TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL,"
        " PRIMARY KEY (tenant, id))"
    )


MIGRATIONS = (Migration(1, _create),)


def _encode(message: Message) -> str:
    return json.dumps(
        {
            "id": message.id, "conversation_id": message.conversation_id,
            "conversation_name": message.conversation_name, "sender_id": message.sender_id,
            "sender_name": message.sender_name, "body": message.body,
            "sent_at": message.sent_at.isoformat(), "urgent": message.urgent,
        }
    )  # fmt: skip


def _decode(payload: str) -> Message:
    data = json.loads(payload)
    return Message(**{**data, "sent_at": datetime.fromisoformat(data["sent_at"])})


class InboundFanout:
    """Publishes verified pushes and feeds other replicas' pushes to this one's tenants."""

    def __init__(self, db: PostgresDatabase, tenants: Tenants) -> None:
        self._db = db
        self._tenants = tenants
        self.origin = secrets.token_hex(8)
        migrate(db, "inbound", MIGRATIONS)

    def publish(self, tenant: str, message: Message, kind: str) -> bool:
        """Store and announce a verified push; False if any replica took this id already."""
        note = json.dumps({"origin": self.origin, "tenant": tenant, "id": message.id})
        with self._db.transaction() as tx:
            added = tx.execute(
                "INSERT INTO inbound_messages (tenant, id, kind, payload, received_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (tenant, message.id, kind, _encode(message), time.time()),
            )
            if added:
                tx.query("SELECT pg_notify(?, ?)", (CHANNEL, note))
        return added == 1

    def wrap(self, tenant: str, receiver: InboundReceiver) -> InboundReceiver:
        """``receiver`` whose accepted pushes are published to the fleet."""
        return _Publishing(self, tenant, receiver)

    async def run(self) -> None:
        """Listen until cancelled; hand other replicas' pushes to the open tenants here."""
        await listen(self._db, CHANNEL, self._on_note)

    async def _on_note(self, payload: str) -> None:
        await self._deliver(json.loads(payload))

    async def _deliver(self, note: Mapping[str, str]) -> None:
        if note.get("origin") == self.origin:
            return  # this replica's own push: its connector has it already
        tenant = next((t for t in self._tenants.opened() if t.name == note.get("tenant")), None)
        accept = getattr(tenant.connector, "accept", None) if tenant is not None else None
        if accept is None:
            return  # no session of that tenant here: nobody to tell
        rows = await asyncio.to_thread(
            self._db.query,
            "SELECT kind, payload FROM inbound_messages WHERE tenant = ? AND id = ?",
            (note["tenant"], note["id"]),
        )
        if rows:
            accept(_decode(str(rows[0][1])), kind=str(rows[0][0]))


class _Publishing:
    """An inbound receiver that also tells the other replicas."""

    def __init__(self, fanout: InboundFanout, tenant: str, inner: InboundReceiver) -> None:
        self._fanout = fanout
        self._tenant = tenant
        self._inner = inner

    async def receive(self, headers: Mapping[str, str], body: bytes) -> Message:
        message = await self._inner.receive(headers, body)
        kind = json.loads(body).get("message", {}).get("conversation_kind", "direct")
        fresh = await asyncio.to_thread(self._fanout.publish, self._tenant, message, kind)
        if not fresh:
            raise ReplayedRequestError("this event id was already accepted by another replica")
        return message
