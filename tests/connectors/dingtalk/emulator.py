"""A DingTalk Open Platform emulator: a real HTTP + WebSocket server on loopback.

DingTalk's cloud cannot be reached from here, so the tests run the connector
against this server, which enforces the documented contract rather than
echoing what the client sends:

* custom robot (``/robot/send``): known ``access_token``; ``timestamp`` in
  milliseconds within one hour of the server clock; ``sign`` equal to
  base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")) (errcode 310000
  otherwise); signature checked before the payload; at most 20 messages a
  minute, then ten minutes of errcode 130101;
* enterprise app: ``/v1.0/oauth2/accessToken`` issues tokens that really
  expire after ``expireIn`` (401 ``InvalidAuthentication`` afterwards); the
  oapi host answers a bad token with errcode 40014;
* field limits and error codes of the robot, calendar and contact APIs
  (msgParam <= 15,000 bytes, <= 20 userIds, size <= 100, ...);
* Stream mode: one-time tickets, SYSTEM ping / disconnect frames, acks
  recorded, sockets dropped on demand.

The clock is ``time.time() + offset``; :meth:`advance` moves it forward.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from tests.connectors.dingtalk import emulator_calendar

ROBOT_TOPIC = "/v1.0/im/bot/messages/get"
DIRECTORY = json.loads((Path(__file__).with_name("directory.json")).read_text())
MSG_KEYS = {"sampleText": ("content",), "sampleMarkdown": ("title", "text")}
MSG_PARAM_MAX_BYTES = 15_000
ROBOT_PER_MINUTE = 20
ROBOT_PENALTY_S = 600


def api_error(status: int, code: str, message: str) -> JSONResponse:
    """The v1.0 error shape."""
    return JSONResponse({"code": code, "message": message, "requestid": uuid.uuid4().hex}, status)


def errcode(code: int, message: str, **extra: Any) -> JSONResponse:
    """The oapi / robot error shape (always HTTP 200)."""
    return JSONResponse({"errcode": code, "errmsg": message, **extra})


async def json_body(request: Request) -> dict[str, Any] | None:
    """The request's JSON object, or None."""
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


class DingTalkEmulator:
    """State and routes of the emulated DingTalk; ``app`` is the ASGI app."""

    def __init__(
        self,
        *,
        app_key: str = "dingemulatorkey",
        app_secret: str = "app-secret-7f3c9a",
        robot_token: str = "robot-token-55aa",
        robot_secret: str = "SECrobot-secret-0b1d",
        token_lifetime: int = 7200,
    ) -> None:
        self.app_key, self.app_secret = app_key, app_secret
        self.robot_token, self.robot_secret = robot_token, robot_secret
        self.token_lifetime = token_lifetime
        self.offset = 0.0
        self.base_url = ""
        self.tokens: dict[str, float] = {}
        self.token_requests = 0
        self.qps_storm = 0  # the next N app-API calls are throttled
        self.lose_next_answer = 0.0  # delay the next 1:1 answer past the client's timeout
        self.oto_messages: list[dict[str, Any]] = []
        self.group_messages: list[dict[str, Any]] = []
        self.robot_messages: list[dict[str, Any]] = []
        self._robot_sends: deque[float] = deque()
        self._robot_blocked_until = 0.0
        self.users = {u["userid"]: u for u in DIRECTORY["users"]}
        self.calendar = emulator_calendar.Calendars({u["unionid"] for u in DIRECTORY["users"]})
        self.tickets: set[str] = set()
        self.issued_tickets: list[str] = []
        self.stream_opens = 0
        self.acks: list[dict[str, Any]] = []
        self._streams: list[asyncio.Queue[dict[str, Any] | None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self.app = FastAPI()
        self._routes_app()
        self._routes_robot()
        self._routes_oapi()
        self._routes_stream()
        emulator_calendar.add_routes(self)

    # -- clock ---------------------------------------------------------------------

    def now(self) -> float:
        """The emulator's clock in seconds since the epoch."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward (token expiry, throttle windows)."""
        self.offset += seconds

    # -- enterprise app ------------------------------------------------------------

    def check_token(self, request: Request) -> JSONResponse | None:
        """401 unless the header carries a live token; 403 during a QPS storm."""
        token = request.headers.get("x-acs-dingtalk-access-token", "")
        expires = self.tokens.get(token)
        if expires is None or expires <= self.now():
            return api_error(401, "InvalidAuthentication", "access token is invalid or expired")
        if self.qps_storm > 0:
            self.qps_storm -= 1
            return api_error(403, "Forbidden.AccessDenied.QpsLimitForApi", "qps limit exceeded")
        return None

    def _routes_app(self) -> None:
        app = self.app

        @app.post("/v1.0/oauth2/accessToken")
        async def access_token(request: Request) -> JSONResponse:
            body = await json_body(request) or {}
            if body.get("appKey") != self.app_key or body.get("appSecret") != self.app_secret:
                return api_error(400, "invalidClientIdOrSecret", "invalid appKey or appSecret")
            self.token_requests += 1
            token = uuid.uuid4().hex
            self.tokens[token] = self.now() + self.token_lifetime
            return JSONResponse({"accessToken": token, "expireIn": self.token_lifetime})

        @app.post("/v1.0/robot/oToMessages/batchSend")
        async def batch_send(request: Request) -> JSONResponse:
            if (denied := self.check_token(request)) is not None:
                return denied
            body = await json_body(request) or {}
            if (bad := self._check_robot_message(body)) is not None:
                return bad
            user_ids = body.get("userIds")
            if not isinstance(user_ids, list) or not user_ids:
                return api_error(400, "invalidParameter.userIds.empty", "userIds is empty")
            if len(user_ids) > 20:
                return api_error(400, "invalidParameter.userIds.overMax", "at most 20 userIds")
            invalid = [u for u in user_ids if u not in self.users]
            if len(invalid) < len(user_ids):
                self.oto_messages.append(body)
            if self.lose_next_answer:
                delay, self.lose_next_answer = self.lose_next_answer, 0.0
                await asyncio.sleep(delay)  # accepted, but the answer comes too late
            return JSONResponse(
                {
                    "processQueryKey": uuid.uuid4().hex,
                    "invalidStaffIdList": invalid,
                    "flowControlledStaffIdList": [],
                }
            )

        @app.post("/v1.0/robot/groupMessages/send")
        async def group_send(request: Request) -> JSONResponse:
            if (denied := self.check_token(request)) is not None:
                return denied
            body = await json_body(request) or {}
            if (bad := self._check_robot_message(body)) is not None:
                return bad
            if body.get("openConversationId") not in DIRECTORY["groups"]:
                return api_error(400, "invalidParameter.openConversationId", "unknown group")
            self.group_messages.append(body)
            return JSONResponse({"processQueryKey": uuid.uuid4().hex})

        @app.post("/v1.0/contact/users/search")
        async def search(request: Request) -> JSONResponse:
            if (denied := self.check_token(request)) is not None:
                return denied
            body = await json_body(request) or {}
            word, offset, size = body.get("queryWord"), body.get("offset"), body.get("size")
            if not isinstance(word, str) or not word:
                return api_error(400, "invalidParameter.queryWord", "queryWord is required")
            if not isinstance(offset, int) or not isinstance(size, int) or offset < 0:
                return api_error(400, "invalidParameter.offset", "offset and size are required")
            if not 1 <= size <= 100:
                return api_error(400, "invalidParameter.size", "size must be 1..100")
            hits = [u["userid"] for u in DIRECTORY["users"] if word.lower() in u["name"].lower()]
            page = hits[offset : offset + size]
            return JSONResponse(
                {"hasMore": offset + size < len(hits), "totalCount": len(hits), "list": page}
            )

    def _check_robot_message(self, body: dict[str, Any]) -> JSONResponse | None:
        if body.get("robotCode") != self.app_key:
            return api_error(400, "invalidParameter.robotCode.auth", "robotCode not of this app")
        key, param = body.get("msgKey"), body.get("msgParam")
        if key not in MSG_KEYS:
            return api_error(400, "invalidParameter.msgKey.invalid", "msgKey is invalid")
        if not isinstance(param, str) or len(param.encode()) > MSG_PARAM_MAX_BYTES:
            return api_error(400, "invalidParameter.msgParam.length", "msgParam too long")
        try:
            fields = json.loads(param)
        except ValueError:
            return api_error(400, "invalidParameter.msgParam.invalid", "msgParam must be JSON")
        if not isinstance(fields, dict) or any(not fields.get(f) for f in MSG_KEYS[key]):
            return api_error(400, "invalidParameter.msgParam.invalid", "msgParam lacks fields")
        return None

    # -- custom robot --------------------------------------------------------------

    def _routes_robot(self) -> None:
        @self.app.post("/robot/send")
        async def robot_send(request: Request) -> JSONResponse:
            query = request.query_params
            if query.get("access_token") != self.robot_token:
                return errcode(300001, "token is not exist")
            if (
                bad := self._check_signature(query.get("timestamp"), query.get("sign"))
            ) is not None:
                return bad
            if (throttled := self._robot_throttle()) is not None:
                return throttled
            body = await json_body(request)
            if body is None or "msgtype" not in body:
                return errcode(40035, "missing parameter json")
            text = body.get("text")
            if body["msgtype"] != "text" or not isinstance(text, dict) or not text.get("content"):
                return errcode(40035, "missing parameter text.content")
            self.robot_messages.append(body)
            return errcode(0, "ok")

    def _check_signature(self, timestamp: str | None, sign: str | None) -> JSONResponse | None:
        if not timestamp or not timestamp.isdigit() or not sign:
            return errcode(310000, "sign not match: timestamp and sign are required")
        if abs(self.now() * 1000 - int(timestamp)) > 3600 * 1000:
            return errcode(310000, "invalid timestamp: more than one hour away")
        message = f"{timestamp}\n{self.robot_secret}".encode()
        digest = hmac.new(self.robot_secret.encode(), message, hashlib.sha256).digest()
        if not hmac.compare_digest(base64.b64encode(digest).decode(), sign):
            return errcode(310000, "sign not match")
        return None

    def _robot_throttle(self) -> JSONResponse | None:
        now = self.now()
        if now < self._robot_blocked_until:
            return errcode(130101, "send too fast, robot is limited for 10 minutes")
        while self._robot_sends and now - self._robot_sends[0] >= 60:
            self._robot_sends.popleft()
        if len(self._robot_sends) >= ROBOT_PER_MINUTE:
            self._robot_blocked_until = now + ROBOT_PENALTY_S
            return errcode(130101, "send too fast, exceed 20 times per minute")
        self._robot_sends.append(now)
        return None

    # -- oapi ----------------------------------------------------------------------

    def _oapi_token_ok(self, request: Request) -> bool:
        expires = self.tokens.get(request.query_params.get("access_token", ""))
        return expires is not None and expires > self.now()

    def _routes_oapi(self) -> None:
        @self.app.post("/topapi/v2/user/get")
        async def user_get(request: Request) -> JSONResponse:
            if not self._oapi_token_ok(request):
                return errcode(40014, "invalid access_token")
            body = await json_body(request) or {}
            user = self.users.get(str(body.get("userid", "")))
            if user is None:
                return errcode(60121, "user not found")
            return errcode(0, "ok", result=_user_record(user))

        @self.app.post("/topapi/v2/user/list")
        async def user_list(request: Request) -> JSONResponse:
            if not self._oapi_token_ok(request):
                return errcode(40014, "invalid access_token")
            body = await json_body(request) or {}
            dept, cursor, size = body.get("dept_id"), body.get("cursor"), body.get("size")
            if not isinstance(cursor, int) or not isinstance(size, int) or not 1 <= size <= 100:
                return errcode(40035, "invalid cursor or size (size 1..100)")
            members = [_user_record(u) for u in DIRECTORY["users"] if u["dept"] == dept]
            page = members[cursor : cursor + size]
            more = cursor + size < len(members)
            result = {
                "has_more": more,
                "list": page,
                **({"next_cursor": cursor + size} if more else {}),
            }
            return errcode(0, "ok", result=result)

        @self.app.post("/topapi/v2/department/listsubid")
        async def sub_departments(request: Request) -> JSONResponse:
            if not self._oapi_token_ok(request):
                return errcode(40014, "invalid access_token")
            body = await json_body(request) or {}
            children = DIRECTORY["departments"].get(str(body.get("dept_id")))
            if children is None:
                return errcode(60003, "department not found")
            return errcode(0, "ok", result={"dept_id_list": children})

    # -- stream mode ---------------------------------------------------------------

    def _routes_stream(self) -> None:
        @self.app.post("/v1.0/gateway/connections/open")
        async def open_connection(request: Request) -> JSONResponse:
            body = await json_body(request) or {}
            if body.get("clientId") != self.app_key or body.get("clientSecret") != self.app_secret:
                return api_error(401, "InvalidAuthentication", "invalid clientId or clientSecret")
            subs = body.get("subscriptions") or []
            if not any(isinstance(s, dict) and s.get("topic") == ROBOT_TOPIC for s in subs):
                return api_error(400, "invalidParameter.subscriptions", "no subscription")
            ticket = uuid.uuid4().hex
            self.tickets.add(ticket)
            self.issued_tickets.append(ticket)
            self.stream_opens += 1
            endpoint = self.base_url.replace("http://", "ws://") + "/connect"
            return JSONResponse({"endpoint": endpoint, "ticket": ticket})

        @self.app.websocket("/connect")
        async def connect(ws: WebSocket) -> None:
            ticket = ws.query_params.get("ticket", "")
            if ticket not in self.tickets:
                await ws.close(code=1008)
                return
            self.tickets.discard(ticket)  # tickets are single-use
            await ws.accept()
            await self._serve_stream(ws)

    async def _serve_stream(self, ws: WebSocket) -> None:
        self._loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._streams.append(queue)
        pump = asyncio.create_task(self._pump(ws, queue))
        try:
            while True:
                self.acks.append(json.loads(await ws.receive_text()))
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

    @property
    def open_streams(self) -> int:
        """Connected Stream-mode clients."""
        return len(self._streams)

    def push(self, frame: dict[str, Any] | None) -> None:
        """Send ``frame`` to every connected client (None drops the connection)."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("no stream client has connected yet")
        for queue in list(self._streams):
            loop.call_soon_threadsafe(queue.put_nowait, frame)


def _user_record(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "userid": user["userid"],
        "unionid": user["unionid"],
        "name": user["name"],
        "title": user["title"],
        "mobile": user["mobile"],
        "email": user["email"],
        "dept_id_list": [user["dept"]],
    }
