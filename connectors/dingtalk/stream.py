"""DingTalk Stream mode: incoming robot messages over a WebSocket.

Protocol (DingTalk Open Platform, "Stream mode"): register with
``POST /v1.0/gateway/connections/open`` to get an ``endpoint`` and a one-time
``ticket``, open ``endpoint?ticket=...``, then receive JSON frames
``{specVersion, type, headers: {topic, messageId, ...}, data}``. Every
CALLBACK/EVENT frame is acknowledged with ``{code: 200, headers: {contentType,
messageId}, message: "OK", data}``. SYSTEM frames are ``ping`` (answered with
the same data) and ``disconnect`` (the server is about to close: reconnect
with a fresh ticket). Any drop is followed by a reconnect after an
exponential backoff with jitter, reset once connected.

What Stream mode does *not* do for robot messages (DingTalk's Stream FAQ,
https://opensource.dingtalk.com/developerpedia/docs/learn/stream/faq, and
"receive messages", https://open.dingtalk.com/document/orgapp/receive-message):
an unacknowledged robot callback is not redelivered, a message sent while no
connection is open is not kept for later, and in a group the robot receives
only messages that @-mention it. No robot API reads back what was missed, so
nothing here can fetch it after a reconnect; the docs say so plainly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from pydantic import SecretStr
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from assistant.errors import BackendUnavailableError, ConnectorError
from connectors.shared.urls import require_secure_url

log = logging.getLogger(__name__)

#: Called with the parsed ``data`` of each robot callback; must not raise.
CallbackHandler = Callable[[dict[str, Any]], Awaitable[None]]
#: Returns (endpoint, ticket) for a new connection.
Opener = Callable[[], Awaitable[tuple[str, SecretStr]]]


def ack_frame(message_id: str, data: str = '{"response": null}') -> str:
    """The acknowledgement DingTalk expects for one frame."""
    return json.dumps(
        {
            "code": 200,
            "headers": {"contentType": "application/json", "messageId": message_id},
            "message": "OK",
            "data": data,
        }
    )


class StreamClient:
    """Keeps one Stream-mode connection open and dispatches robot callbacks."""

    def __init__(
        self,
        open_connection: Opener,
        on_callback: CallbackHandler,
        *,
        timeout: float = 10.0,
        backoff_max: float = 60.0,
        backoff_base: float = 0.5,
    ) -> None:
        self._open = open_connection
        self._on_callback = on_callback
        self._timeout = timeout
        self._backoff_max = backoff_max
        self._backoff_base = backoff_base
        #: Number of WebSocket connections opened so far (diagnostics, tests).
        self.connections = 0

    async def run(self) -> None:
        """Connect, serve, reconnect; runs until cancelled."""
        failures = 0
        while True:
            try:
                await self._connect_once()
                failures = 0  # a connection that opened resets the backoff
            except (ConnectorError, OSError, WebSocketException, TimeoutError) as exc:
                failures += 1
                log.warning("DingTalk stream: %s; reconnecting", _describe(exc))
            await asyncio.sleep(self._delay(failures))

    def _delay(self, failures: int) -> float:
        if failures == 0:
            return self._backoff_base * random.random()
        ceiling = min(self._backoff_max, self._backoff_base * 2**failures)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    async def _connect_once(self) -> None:
        endpoint, ticket = await self._open()
        url = ticket_url(endpoint, ticket)
        async with connect(url, open_timeout=self._timeout, close_timeout=self._timeout) as ws:
            self.connections += 1
            log.info("DingTalk stream: connected")
            await self._serve(ws)

    async def _serve(self, ws: ClientConnection) -> None:
        async for raw in ws:
            frame = _parse(raw)
            if frame is None:
                continue
            raw_headers = frame.get("headers")
            headers: dict[str, Any] = raw_headers if isinstance(raw_headers, dict) else {}
            message_id = str(headers.get("messageId", ""))
            topic = str(headers.get("topic", ""))
            if frame.get("type") == "SYSTEM":
                if topic == "disconnect":
                    log.info("DingTalk stream: server asked to reconnect")
                    return
                if topic == "ping":
                    await ws.send(ack_frame(message_id, str(frame.get("data", ""))))
                continue
            await self._dispatch(frame)
            await ws.send(ack_frame(message_id))

    async def _dispatch(self, frame: dict[str, Any]) -> None:
        data = frame.get("data")
        try:
            payload = json.loads(data) if isinstance(data, str) else data
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            log.warning("DingTalk stream: frame without a JSON object body; acknowledged")
            return
        await self._on_callback(payload)


def ticket_url(endpoint: str, ticket: SecretStr) -> str:
    """The WebSocket URL for one connection (the endpoint must be wss://, or loopback)."""
    require_secure_url(endpoint, "DingTalk stream endpoint")
    joiner = "&" if urlsplit(endpoint).query else "?"
    return f"{endpoint}{joiner}{urlencode({'ticket': ticket.get_secret_value()})}"


async def probe(open_connection: Opener, timeout: float) -> None:
    """Open one Stream connection and close it again (``connectors check --live``)."""
    url = ticket_url(*await open_connection())
    try:
        async with connect(url, open_timeout=timeout, close_timeout=timeout):
            pass
    except (OSError, WebSocketException, TimeoutError) as exc:
        raise BackendUnavailableError(
            f"DingTalk stream: could not connect ({type(exc).__name__})"
        ) from exc


def _parse(raw: str | bytes) -> dict[str, Any] | None:
    try:
        frame = json.loads(raw)
    except ValueError:
        log.warning("DingTalk stream: ignored a frame that is not JSON")
        return None
    return frame if isinstance(frame, dict) else None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectorError):
        return str(exc)
    return f"connection lost ({type(exc).__name__})"
