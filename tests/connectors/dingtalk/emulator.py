"""A DingTalk Open Platform emulator: a real HTTP + WebSocket server on loopback.

DingTalk's cloud cannot be reached from here, so the tests run the connector
against this server. It answers as DingTalk's documentation says, not as the
connector would like; each behaviour names its page (the ``DOC_*`` constants
of :mod:`connectors.dingtalk.codes`, the URLs the connector cites too):

* tokens really expire after ``expireIn``; a v1.0 API answers an expired or
  unknown token with HTTP **400** ``InvalidAuthentication`` (DOC_TOKEN), the
  oapi host with errcode 42001 (expired) or 40014 (unknown) (DOC_ERRCODES);
* every API allows 20 calls a second per app (DOC_LIMITS): beyond that a v1.0
  API answers HTTP 403 ``Forbidden.AccessDenied.QpsLimitForApi``, the oapi
  host errcode 90018;
* any documented failure can be injected for the next calls of one API
  (:meth:`DingTalkEmulator.fail_next`), for the table-driven tests;
* the custom robot (:mod:`emulator_robot`) signs, throttles and de-duplicates
  on ``msgUuid``; the calendar (:mod:`emulator_calendar`) de-duplicates on
  ``x-client-token`` and bounds listings by event start; Stream mode
  (:mod:`emulator_stream`) never redelivers robot messages, drops what is sent
  while no client is connected and passes on group messages only when they
  @-mention the robot.

The clock is ``time.time() + offset``; :meth:`advance` moves it forward.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.connectors.dingtalk import emulator_calendar, emulator_robot, emulator_stream
from tests.connectors.dingtalk.emulator_shapes import api_error, errcode, json_body

ROBOT_TOPIC = emulator_stream.ROBOT_TOPIC
DIRECTORY = json.loads((Path(__file__).with_name("directory.json")).read_text())
MSG_KEYS = {"sampleText": ("content",), "sampleMarkdown": ("title", "text")}
MSG_PARAM_MAX_BYTES = 15_000
#: DOC_LIMITS: 20 calls a second per API per app.
CALLS_PER_SECOND = 20


@dataclass
class Injected:
    """A failure the next ``times`` calls of one API answer with."""

    times: int
    status: int
    code: str | int


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
        #: Calls refused for their access token (expired, unknown).
        self.token_rejections = 0
        #: Calls refused by the documented 20-a-second limit.
        self.rate_limited = 0
        #: Seconds to hold back the next answer of an API (past the client's timeout).
        self.lose_next_answer: dict[str, float] = {}
        self.oto_messages: list[dict[str, Any]] = []
        self.group_messages: list[dict[str, Any]] = []
        #: Bodies of contact-search requests, in order (paging checks).
        self.search_requests: list[dict[str, Any]] = []
        self.users = {u["userid"]: u for u in DIRECTORY["users"]}
        self._calls: dict[str, deque[float]] = {}
        self._injected: dict[str, Injected] = {}
        self.app = FastAPI()
        self._routes_app()
        self._routes_oapi()
        self.robot = emulator_robot.Robot(self)
        union_ids = {u["unionid"] for u in DIRECTORY["users"]}
        self.calendar = emulator_calendar.Calendars(self, union_ids)
        self.stream = emulator_stream.Stream(self)

    # -- clock ---------------------------------------------------------------------

    def now(self) -> float:
        """The emulator's clock in seconds since the epoch."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward (token expiry, throttle windows)."""
        self.offset += seconds

    # -- shared checks -------------------------------------------------------------

    def fail_next(self, api: str, code: str | int, *, status: int = 400, times: int = 1) -> None:
        """The next ``times`` calls of ``api`` fail with ``code`` (v1.0: with ``status``)."""
        self._injected[api] = Injected(times, status, code)

    def injected_failure(self, api: str) -> Injected | None:
        failure = self._injected.get(api)
        if failure is None or failure.times <= 0:
            return None
        failure.times -= 1
        return failure

    def _over_limit(self, api: str) -> bool:
        # DOC_LIMITS: at most 20 calls of one API in any second.
        now = self.now()
        calls = self._calls.setdefault(api, deque())
        while calls and now - calls[0] >= 1.0:
            calls.popleft()
        if len(calls) >= CALLS_PER_SECOND:
            self.rate_limited += 1
            return True
        calls.append(now)
        return False

    def check_token(self, request: Request, api: str) -> JSONResponse | None:
        """The v1.0 refusal for this call, if any: token, injected failure, rate limit."""
        token = request.headers.get("x-acs-dingtalk-access-token", "")
        expires = self.tokens.get(token)
        if expires is None or expires <= self.now():
            # DOC_TOKEN: an expired or invalid token is HTTP 400, not 401.
            self.token_rejections += 1
            return api_error(400, "InvalidAuthentication", "access token is invalid or expired")
        if (failure := self.injected_failure(api)) is not None:
            return api_error(failure.status, str(failure.code), "injected failure")
        if self._over_limit(api):
            return api_error(403, "Forbidden.AccessDenied.QpsLimitForApi", "qps limit exceeded")
        return None

    def check_oapi_token(self, request: Request, api: str) -> JSONResponse | None:
        """The oapi refusal for this call, if any (always HTTP 200 with an errcode)."""
        expires = self.tokens.get(request.query_params.get("access_token", ""))
        if expires is None or expires <= self.now():
            self.token_rejections += 1
            # DOC_ERRCODES: 42001 access_token expired, 40014 invalid access_token.
            if expires is None:
                return errcode(40014, "invalid access_token")
            return errcode(42001, "access_token expired")
        if (failure := self.injected_failure(api)) is not None:
            return errcode(int(failure.code), "injected failure")
        if self._over_limit(api):
            return errcode(90018, "too many calls per second for this API")
        return None

    async def hold_answer(self, api: str) -> None:
        """Accepted, but the answer comes too late for the client (a lost answer)."""
        delay = self.lose_next_answer.pop(api, 0.0)
        if delay:
            await asyncio.sleep(delay)

    def revoke_tokens(self) -> None:
        """Invalidate every issued token server-side (e.g. the app secret was reset)."""
        self.tokens.clear()

    # -- enterprise app ------------------------------------------------------------

    def _routes_app(self) -> None:
        app = self.app

        @app.post("/v1.0/oauth2/accessToken")
        async def access_token(request: Request) -> JSONResponse:
            # DOC_TOKEN: {appKey, appSecret} -> {accessToken, expireIn}.
            body = await json_body(request) or {}
            if body.get("appKey") != self.app_key or body.get("appSecret") != self.app_secret:
                return api_error(400, "invalidClientIdOrSecret", "invalid appKey or appSecret")
            self.token_requests += 1
            token = uuid.uuid4().hex
            self.tokens[token] = self.now() + self.token_lifetime
            return JSONResponse({"accessToken": token, "expireIn": self.token_lifetime})

        @app.post("/v1.0/robot/oToMessages/batchSend")
        async def batch_send(request: Request) -> JSONResponse:
            # DOC_OTO: <= 20 userIds, msgKey/msgParam templates; unknown ids listed back.
            if (denied := self.check_token(request, "oto")) is not None:
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
            await self.hold_answer("oto")
            return JSONResponse(
                {
                    "processQueryKey": uuid.uuid4().hex,
                    "invalidStaffIdList": invalid,
                    "flowControlledStaffIdList": [],
                }
            )

        @app.post("/v1.0/robot/groupMessages/send")
        async def group_send(request: Request) -> JSONResponse:
            # DOC_GROUP: the robot must be in the openConversationId's group.
            if (denied := self.check_token(request, "group")) is not None:
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
            # DOC_SEARCH: offset counts users (the example starts at 0), size 1..100.
            if (denied := self.check_token(request, "search")) is not None:
                return denied
            body = await json_body(request) or {}
            self.search_requests.append(body)
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

    # -- oapi ----------------------------------------------------------------------

    def _routes_oapi(self) -> None:
        @self.app.post("/topapi/v2/user/get")
        async def user_get(request: Request) -> JSONResponse:
            # DOC_USER: 60121 for an unknown userid.
            if (denied := self.check_oapi_token(request, "user_get")) is not None:
                return denied
            body = await json_body(request) or {}
            user = self.users.get(str(body.get("userid", "")))
            if user is None:
                return errcode(60121, "user not found")
            return errcode(0, "ok", result=_user_record(user))

        @self.app.post("/topapi/v2/user/list")
        async def user_list(request: Request) -> JSONResponse:
            # Department members, cursor-paged, size 1..100:
            # https://open.dingtalk.com/document/orgapp/queries-the-complete-information-of-a-department-user
            if (denied := self.check_oapi_token(request, "user_list")) is not None:
                return denied
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
            # DOC_DEPT: 60003 for an unknown department.
            if (denied := self.check_oapi_token(request, "departments")) is not None:
                return denied
            body = await json_body(request) or {}
            children = DIRECTORY["departments"].get(str(body.get("dept_id")))
            if children is None:
                return errcode(60003, "department not found")
            return errcode(0, "ok", result={"dept_id_list": children})

    # -- stream mode (see emulator_stream) -------------------------------------------

    @property
    def acks(self) -> list[dict[str, Any]]:
        """Acknowledgements received from Stream clients."""
        return self.stream.acks

    @property
    def open_streams(self) -> int:
        """Connected Stream-mode clients."""
        return self.stream.open_streams

    @property
    def stream_opens(self) -> int:
        """Stream connections registered so far."""
        return self.stream.opens

    @property
    def tickets(self) -> set[str]:
        """Tickets issued and not yet used."""
        return self.stream.tickets

    @property
    def issued_tickets(self) -> list[str]:
        """Every ticket ever issued."""
        return self.stream.issued_tickets

    def push(self, frame: dict[str, Any] | None) -> None:
        """Send a raw frame to every connected client (None drops the connection)."""
        self.stream.push(frame)

    @property
    def robot_messages(self) -> list[dict[str, Any]]:
        """Messages the custom robot posted to its group."""
        return self.robot.messages


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
