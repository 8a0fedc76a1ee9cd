"""The emulator's Stream mode: ``POST /v1.0/gateway/connections/open`` + the WebSocket.

As documented (Stream protocol and FAQ,
https://opensource.dingtalk.com/developerpedia/docs/learn/stream/protocol and
.../stream/faq; robot messages, https://open.dingtalk.com/document/orgapp/receive-message):

* registering returns an ``endpoint`` and a one-time ``ticket``; a used or
  unknown ticket is refused at the handshake;
* SYSTEM frames ``ping`` (answered with the same data) and ``disconnect``;
* robot messages (CALLBACK frames) are pushed once: one that is not
  acknowledged is **not** redelivered, and one sent while no client is
  connected is **not** kept for later (:attr:`Stream.dropped`);
* in a group the robot receives only messages that @-mention it
  (``isInAtList``); others never reach it (:attr:`Stream.not_mentioned`).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import TYPE_CHECKING, Any

from fastapi import Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from tests.connectors.dingtalk.emulator_shapes import api_error, json_body

if TYPE_CHECKING:
    from tests.connectors.dingtalk.emulator import DingTalkEmulator

ROBOT_TOPIC = "/v1.0/im/bot/messages/get"


class Stream:
    """Registered connections, open sockets and what was pushed, acked or dropped."""

    def __init__(self, emulator: DingTalkEmulator) -> None:
        self.emulator = emulator
        self.tickets: set[str] = set()
        self.issued_tickets: list[str] = []
        self.opens = 0
        self.acks: list[dict[str, Any]] = []
        #: Robot messages sent while no client was connected: gone for good.
        self.dropped: list[dict[str, Any]] = []
        #: Group messages that did not @-mention the robot: never sent to it.
        self.not_mentioned: list[dict[str, Any]] = []
        #: messageIds pushed and not acknowledged (never redelivered).
        self.unacked: set[str] = set()
        self._streams: list[asyncio.Queue[dict[str, Any] | None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._add_routes()

    @property
    def open_streams(self) -> int:
        """Connected clients."""
        return len(self._streams)

    def push(self, frame: dict[str, Any] | None) -> None:
        """Send ``frame`` once to every connected client (None drops the connections).

        With no client connected a frame is dropped, as DingTalk drops it.
        """
        loop = self._loop
        if frame is not None and (loop is None or not self._streams):
            self.dropped.append(frame)
            return
        if loop is None:
            return
        if frame is not None:
            self.unacked.add(str(frame.get("headers", {}).get("messageId", "")))
        for queue in list(self._streams):
            loop.call_soon_threadsafe(queue.put_nowait, frame)

    def robot_message(self, frame: dict[str, Any]) -> None:
        """Deliver a robot message as DingTalk would (groups: only @-mentions)."""
        data = json.loads(frame["data"])
        if str(data.get("conversationType")) == "2" and not data.get("isInAtList"):
            self.not_mentioned.append(frame)
            return
        self.push(frame)

    def _add_routes(self) -> None:
        app, emulator = self.emulator.app, self.emulator

        @app.post("/v1.0/gateway/connections/open")
        async def open_connection(request: Request) -> JSONResponse:
            body = await json_body(request) or {}
            if (
                body.get("clientId") != emulator.app_key
                or body.get("clientSecret") != emulator.app_secret
            ):
                return api_error(401, "InvalidAuthentication", "invalid clientId or clientSecret")
            subs = body.get("subscriptions") or []
            if not any(isinstance(s, dict) and s.get("topic") == ROBOT_TOPIC for s in subs):
                return api_error(400, "invalidParameter.subscriptions", "no subscription")
            ticket = uuid.uuid4().hex
            self.tickets.add(ticket)
            self.issued_tickets.append(ticket)
            self.opens += 1
            endpoint = emulator.base_url.replace("http://", "ws://") + "/connect"
            return JSONResponse({"endpoint": endpoint, "ticket": ticket})

        @app.websocket("/connect")
        async def connect(ws: WebSocket) -> None:
            ticket = ws.query_params.get("ticket", "")
            if ticket not in self.tickets:
                await ws.close(code=1008)
                return
            self.tickets.discard(ticket)  # tickets are single-use
            await ws.accept()
            await self._serve(ws)

    async def _serve(self, ws: WebSocket) -> None:
        self._loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._streams.append(queue)
        pump = asyncio.create_task(self._pump(ws, queue))
        try:
            while True:
                ack = json.loads(await ws.receive_text())
                self.acks.append(ack)
                self.unacked.discard(str(ack.get("headers", {}).get("messageId", "")))
        except WebSocketDisconnect:
            pass
        finally:
            self._streams.remove(queue)
            pump.cancel()

    @staticmethod
    async def _pump(ws: WebSocket, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        while (frame := await queue.get()) is not None:
            await ws.send_text(json.dumps(frame))
        await ws.close(code=1011)  # an abrupt server-side drop
