"""The emulator's custom group robot: ``POST /robot/send?access_token=...&timestamp=...&sign=...``.

As documented on ``codes.DOC_ROBOT``: the webhook's ``access_token`` must be
known (errcode 400101 otherwise) and the robot enabled (400102) in a group
that still exists (400013); ``timestamp`` in milliseconds within one hour of
the server clock and ``sign`` = base64(HMAC-SHA256(secret,
f"{timestamp}\\n{secret}")) (310000 otherwise); all of that is checked before
the payload, so an empty payload is refused with 40035 only when the
credentials are right. At most 20 messages a minute, then ten minutes of
130101. A message whose ``msgUuid`` was already posted is not posted again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import deque
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import JSONResponse

from tests.connectors.dingtalk.emulator_shapes import errcode, json_body

if TYPE_CHECKING:
    from tests.connectors.dingtalk.emulator import DingTalkEmulator

ROBOT_PER_MINUTE = 20
ROBOT_PENALTY_S = 600


class Robot:
    """One custom robot and the group it posts to."""

    def __init__(self, emulator: DingTalkEmulator) -> None:
        self.emulator = emulator
        self.enabled = True
        self.group_exists = True
        self.messages: list[dict[str, Any]] = []
        self.seen_uuids: set[str] = set()
        self._sends: deque[float] = deque()
        self._blocked_until = 0.0
        emulator.app.post("/robot/send")(self.send)

    async def send(self, request: Request) -> JSONResponse:
        """The webhook route."""
        emulator, query = self.emulator, request.query_params
        if query.get("access_token") != emulator.robot_token:
            return errcode(400101, "access_token does not exist")
        if not self.enabled:
            return errcode(400102, "robot is disabled")
        if not self.group_exists:
            return errcode(400013, "the group has been dissolved")
        if (bad := self._check_signature(query.get("timestamp"), query.get("sign"))) is not None:
            return bad
        if (failure := emulator.injected_failure("robot")) is not None:
            return errcode(int(failure.code), "injected failure")
        if (throttled := self._throttle()) is not None:
            return throttled
        body = await json_body(request)
        if body is None or "msgtype" not in body:
            return errcode(40035, "missing parameter json")
        text = body.get("text")
        if body["msgtype"] != "text" or not isinstance(text, dict) or not text.get("content"):
            return errcode(40035, "missing parameter text.content")
        uuid = body.get("msgUuid")
        if isinstance(uuid, str) and uuid in self.seen_uuids:
            return errcode(0, "ok")  # DOC_ROBOT: one message per msgUuid
        if isinstance(uuid, str):
            self.seen_uuids.add(uuid)
        self.messages.append(body)
        await emulator.hold_answer("robot")
        return errcode(0, "ok")

    def _check_signature(self, timestamp: str | None, sign: str | None) -> JSONResponse | None:
        secret = self.emulator.robot_secret
        if not timestamp or not timestamp.isdigit() or not sign:
            return errcode(310000, "sign not match: timestamp and sign are required")
        if abs(self.emulator.now() * 1000 - int(timestamp)) > 3600 * 1000:
            return errcode(310000, "invalid timestamp: more than one hour away")
        message = f"{timestamp}\n{secret}".encode()
        digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
        if not hmac.compare_digest(base64.b64encode(digest).decode(), sign):
            return errcode(310000, "sign not match")
        return None

    def _throttle(self) -> JSONResponse | None:
        now = self.emulator.now()
        if now < self._blocked_until:
            return errcode(130101, "send too fast, robot is limited for 10 minutes")
        while self._sends and now - self._sends[0] >= 60:
            self._sends.popleft()
        if len(self._sends) >= ROBOT_PER_MINUTE:
            self._blocked_until = now + ROBOT_PENALTY_S
            return errcode(130101, "send too fast, exceed 20 times per minute")
        self._sends.append(now)
        return None
