"""The DingTalk connector: enterprise app (robot, calendar, directory, Stream)
plus an optional custom group robot.

Messaging through the app robot: 1:1 messages go to a ``userId``, group
messages to an ``openConversationId``. A group whose id matches the
configured custom robot goes through that robot's signed webhook instead
(urgent messages mention everyone). Incoming messages arrive over Stream
mode and are kept in an in-memory :class:`~connectors.shared.inbox.Inbox`.
DingTalk gives robots no history to read back, and Stream mode does not
redeliver robot messages: what arrived while the car was offline is gone, and
in groups the robot only receives messages that @-mention it. "Unread" with
DingTalk therefore means "received since the car connected, not yet read".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

import httpx

from assistant.errors import ConfigError, ConnectorError, RejectedError
from assistant.models import (
    CalendarEvent,
    Contact,
    Conversation,
    EventDraft,
    Message,
    OutgoingMessage,
    SendReceipt,
)
from connectors.dingtalk import convert, idempotency, live, redact
from connectors.dingtalk.api import DingTalkApi
from connectors.dingtalk.ledger import SentLedger
from connectors.dingtalk.live import LiveStep
from connectors.dingtalk.robot import CustomRobot
from connectors.dingtalk.settings import (
    DingTalkSecrets,
    DingTalkSettings,
    parse_settings,
    read_secrets,
)
from connectors.dingtalk.stream import StreamClient
from connectors.ports import CheckResult, ContactPage
from connectors.shared.inbox import Inbox

if TYPE_CHECKING:
    from connectors.registry import ConnectorContext

log = logging.getLogger(__name__)
redact.install()

#: Documented page size limits: contact search 100, department members 100.
MAX_PAGE = 100


class DingTalkConnector:
    """Messaging, calendar and directory over the DingTalk Open Platform."""

    name: ClassVar[str] = "dingtalk"
    needs_network: ClassVar[bool] = True

    def __init__(
        self,
        settings: DingTalkSettings,
        secrets: DingTalkSecrets,
        *,
        http: httpx.AsyncClient | None,
        data_dir: Path,
        zone: ZoneInfo,
        now: Callable[[], datetime],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=settings.timeout)
        self._zone = zone
        self._now = now
        self._ledger = SentLedger(data_dir / "dingtalk.sqlite3")
        self._inbox = Inbox()
        self._key_locks: dict[str, asyncio.Lock] = {}
        self._union_ids: dict[str, str] = {}
        self._stream_task: asyncio.Task[None] | None = None
        #: The Stream-mode client, once ``incoming()`` started it.
        self.stream_client: StreamClient | None = None
        self.api = (
            DingTalkApi(self._http, settings, secrets, clock=clock) if settings.app_key else None
        )
        self.robot = self._build_robot(secrets)

    def _build_robot(self, secrets: DingTalkSecrets) -> CustomRobot | None:
        robot = self.settings.robot
        if robot is None or secrets.robot_webhook is None or secrets.robot_secret is None:
            return None
        return CustomRobot(
            self._http,
            secrets.robot_webhook,
            secrets.robot_secret,
            now=self._now,
            timeout=self.settings.timeout,
            per_minute=robot.per_minute,
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any], context: ConnectorContext) -> DingTalkConnector:
        """Build from the ``[connectors.dingtalk]`` table; secrets from ``context.env``."""
        settings = parse_settings(config)
        secrets = read_secrets(settings, context.env)
        return cls(
            settings,
            secrets,
            http=context.http,
            data_dir=context.data_dir,
            zone=context.zone,
            now=context.now,
        )

    def __repr__(self) -> str:
        parts = [f"app_key={self.settings.app_key!r}"] if self.settings.app_key else []
        if self.robot is not None:
            parts.append("robot=configured")
        return f"DingTalkConnector({', '.join(parts)})"

    def now(self) -> datetime:
        """The current time in the configured zone (injected by tests)."""
        return self._now()

    def _app(self, what: str) -> DingTalkApi:
        if self.api is None:
            raise ConfigError(f"DingTalk {what} needs the enterprise app (app_key) configured")
        return self.api

    # -- lifecycle -----------------------------------------------------------------

    async def check(self) -> CheckResult:
        """Fetch a token (app) and probe the robot's credentials; never raises."""
        details: list[str] = []
        try:
            if self.api is not None:
                await self.api.tokens.get(force=True)
                details.append(f"app {self.settings.app_key} authenticated")
            if self.robot is not None:
                await self._probe_robot()
                details.append("robot signature accepted")
        except ConnectorError as exc:
            return CheckResult(ok=False, detail=str(exc))
        return CheckResult(ok=True, detail="; ".join(details))

    async def _probe_robot(self) -> None:
        # An empty payload proves token, signature and robot state without
        # posting anything to the group (see CustomRobot.probe).
        assert self.robot is not None
        await self.robot.probe()

    async def live_check(self, step_timeout: float = 30.0) -> list[LiveStep]:
        """Walk token, send to self, calendar round trip and Stream connect for real.

        What ``drivetalk connectors check dingtalk --live`` runs; it sends one
        message to the configured ``user_id`` and creates and deletes one event.
        Each step gets ``step_timeout`` seconds.
        """
        return await live.run(self, step_timeout)

    async def aclose(self) -> None:
        """Stop the stream and close the HTTP client if we created it."""
        if self._stream_task is not None:
            self._stream_task.cancel()
            await asyncio.gather(self._stream_task, return_exceptions=True)
            self._stream_task = None
        self._ledger.close()
        if self._owns_http:
            await self._http.aclose()

    # -- messaging -----------------------------------------------------------------

    def _groups(self) -> list[Contact]:
        """Configured group chats (and the custom robot's group) as directory entries."""
        groups = dict(self.settings.groups)
        if self.settings.robot is not None:
            groups.setdefault(self.settings.robot.conversation_id, self.settings.robot.name)
        return [Contact(id=cid, name=name, kind="group") for cid, name in groups.items()]

    async def conversations(self) -> Sequence[Conversation]:
        """Configured groups and every conversation seen in Stream mode."""
        seen = self._inbox.conversations()
        known = {c.id for c in seen}
        groups = [
            Conversation(id=g.id, name=g.name, kind="group")
            for g in self._groups()
            if g.id not in known
        ]
        return groups + seen

    async def unread_messages(self) -> Sequence[Message]:
        """Messages received since start-up and not yet marked read."""
        return self._inbox.unread()

    async def recent_messages(self, conversation_id: str, limit: int = 20) -> Sequence[Message]:
        """Messages received in one conversation since start-up."""
        return self._inbox.recent(conversation_id, limit)

    async def mark_read(self, message_ids: Sequence[str]) -> None:
        """Mark received messages read (locally: robots cannot set read state)."""
        self._inbox.mark_read(message_ids)

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        """Deliver once per idempotency key (see :mod:`connectors.dingtalk.ledger`)."""
        if not message.body.strip():
            raise RejectedError("DingTalk send: the message body is empty")
        lock = self._key_locks.setdefault(message.idempotency_key, asyncio.Lock())
        async with lock:
            known = await self._ledger.lookup(message.idempotency_key)
            if known is not None:
                return known
            message_id = await self._deliver(message)
            receipt = SendReceipt(message_id, message.recipient_id, self._now())
            await self._ledger.record(message.idempotency_key, receipt)
        self._key_locks.pop(message.idempotency_key, None)
        return receipt

    async def _deliver(self, message: OutgoingMessage) -> str:
        robot = self.settings.robot
        if (
            message.to_group
            and self.robot
            and robot
            and message.recipient_id == robot.conversation_id
        ):
            msg_uuid = idempotency.robot_msg_uuid(message.idempotency_key)
            await self.robot.send(message.body, msg_uuid=msg_uuid, at_all=message.urgent)
            return f"robot:{message.idempotency_key}"
        key, param = convert.message_template(message)
        if message.to_group:
            return await self._app("group messages").send_to_group(message.recipient_id, key, param)
        return await self._app("1:1 messages").send_to_users([message.recipient_id], key, param)

    async def incoming(self) -> AsyncIterator[Message]:
        """Messages from others, received through Stream mode (started on first use)."""
        self._start_stream()
        async for message in self._inbox.stream():
            yield message

    def _start_stream(self) -> None:
        if self._stream_task is not None or self.api is None or not self.settings.stream:
            return
        client = StreamClient(
            self.api.open_stream,
            self._on_callback,
            timeout=self.settings.timeout,
            backoff_max=self.settings.reconnect_max,
        )
        self.stream_client = client
        self._stream_task = asyncio.create_task(client.run(), name="dingtalk-stream")

    async def _on_callback(self, data: dict[str, Any]) -> None:
        parsed = convert.message_from_callback(data, self._zone)
        if parsed is None:
            log.info("DingTalk stream: ignored a non-text robot message")
            return
        message, kind = parsed
        if self.settings.user_id and message.sender_id == self.settings.user_id:
            return  # our own message echoed back
        self._inbox.add(message, kind=kind)

    # -- calendar ------------------------------------------------------------------

    def _owner(self) -> str:
        if self.settings.union_id is None:
            raise ConfigError("DingTalk calendar needs union_id (the calendar owner) configured")
        return self.settings.union_id

    async def events(self, start: datetime, end: datetime) -> Sequence[CalendarEvent]:
        """Events overlapping ``[start, end)``, ordered by start.

        DingTalk's ``timeMin``/``timeMax`` bound an event's *start*
        (``codes.DOC_CAL_LIST``), so a meeting already under way at ``start``
        would be missed: the query reaches ``calendar_lookback_hours`` further
        back and the overlap is decided here.
        """
        since = start - timedelta(hours=self.settings.calendar_lookback_hours)
        raw = await self._app("calendar").list_events(
            self._owner(), since.isoformat(), end.isoformat()
        )
        events = [
            convert.event_from_json(e, self._zone) for e in raw if e.get("status") != "cancelled"
        ]
        return sorted((e for e in events if e.start < end and e.end > start), key=lambda e: e.start)

    async def create_event(
        self, draft: EventDraft, *, idempotency_key: str | None = None
    ) -> CalendarEvent:
        """Create an event once (``x-client-token``); attendee userIds become unionIds."""
        if draft.end <= draft.start:
            raise RejectedError("DingTalk calendar: the event ends before it starts")
        union_ids = [await self._union_id(uid) for uid in draft.attendee_ids]
        body = convert.event_body(draft, union_ids)
        owner = self._owner()
        token = idempotency.create_token(owner, draft, idempotency_key)
        created = await self._app("calendar").create_event(owner, body, token)
        return convert.event_from_json(created, self._zone)

    async def cancel_event(self, event_id: str) -> None:
        """Delete an event by id (once: a retried delete carries the same token)."""
        owner = self._owner()
        token = idempotency.delete_token(owner, event_id)
        await self._app("calendar").delete_event(owner, event_id, token)

    async def _union_id(self, user_id: str) -> str:
        if user_id not in self._union_ids:
            user = await self._app("calendar").user(user_id)
            union_id = user.get("unionid")
            if not union_id:
                raise RejectedError(f"DingTalk: user {user_id} has no unionId")
            self._union_ids[user_id] = str(union_id)
        return self._union_ids[user_id]

    # -- directory -----------------------------------------------------------------

    async def search_contacts(self, query: str, limit: int = 10) -> Sequence[Contact]:
        """Configured groups, then people (DingTalk search + details), matching ``query``."""
        if not query.strip() or limit <= 0:
            return []
        groups = [g for g in self._groups() if query.strip().lower() in g.name.lower()]
        if len(groups) >= limit or self.api is None:
            return groups[:limit]
        return groups + list(await self._search_people(query, limit - len(groups)))

    async def _search_people(self, query: str, limit: int) -> Sequence[Contact]:
        api = self._app("contact search")
        ids: list[str] = []
        offset = 0
        while len(ids) < limit:
            size = min(MAX_PAGE, limit - len(ids))
            page, more = await api.search_users(query, offset, size)
            ids.extend(uid for uid in page if uid not in ids)
            offset += len(page)  # an item offset, as in the documented example
            if not more or not page:
                break
        # Lookups start together; DingTalkApi.user paces them to the documented limit.
        users = await asyncio.gather(*(api.user(uid) for uid in ids[:limit]))
        return [self._remember(convert.contact_from_user(u), u) for u in users if u]

    def _remember(self, contact: Contact, user: dict[str, Any]) -> Contact:
        if user.get("unionid"):
            self._union_ids[contact.id] = str(user["unionid"])
        return contact

    async def list_contacts(self, cursor: str | None = None, page_size: int = 500) -> ContactPage:
        """Configured groups, then the department tree from ``root_department``, paged.

        A page never holds more than ``page_size`` contacts (groups included).
        """
        api = self._app("directory")
        queue, position, expanded, given = (
            convert.decode_cursor(cursor)
            if cursor
            else ([self.settings.root_department], 0, False, 0)
        )
        page_size = max(1, page_size)
        # Groups come first; their ids never collide with userIds.
        groups = self._groups()
        given = len(groups) if given is None else given
        contacts: dict[str, Contact] = {g.id: g for g in groups[given : given + page_size]}
        given += len(contacts)
        while queue and len(contacts) < page_size:
            if not expanded:
                queue.extend(await api.sub_departments(queue[0]))
                expanded = True
            wanted = min(MAX_PAGE, page_size - len(contacts))
            page = await api.department_users(queue[0], position, wanted)
            for user in page.get("list") or []:
                contact = self._remember(convert.contact_from_user(user), user)
                contacts.setdefault(contact.id, contact)
            if page.get("has_more"):
                position = int(page.get("next_cursor", 0))
            else:
                queue, position, expanded = queue[1:], 0, False
        more = bool(queue) or given < len(groups)
        next_cursor = convert.encode_cursor(queue, position, expanded, given) if more else None
        return ContactPage(tuple(contacts.values()), next_cursor)
