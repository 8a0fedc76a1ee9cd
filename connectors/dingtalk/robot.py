"""A DingTalk custom group robot: signed POSTs to its webhook URL.

DingTalk documents a limit of 20 messages a minute per robot, punished by
ten minutes of refusals. The client paces itself locally (a sliding window)
and refuses with :class:`RateLimitedError` before tripping the penalty; a
robot shared with other senders can still be throttled by the server, which
maps to the same error.

Every message carries a ``msgUuid`` (documented on ``codes.DOC_ROBOT``):
DingTalk posts a message once per ``msgUuid``, so a retry after a lost answer
is not posted twice. The connector derives it from the outbox's idempotency key.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from pydantic import SecretStr

from assistant.errors import RateLimitedError
from connectors.dingtalk.codes import ROBOT_MISSING_PAYLOAD
from connectors.dingtalk.responses import (
    check_errcode,
    errcode_failure,
    json_body,
    transport_error,
)
from connectors.dingtalk.signing import robot_sign_params

log = logging.getLogger(__name__)

WINDOW_S = 60.0


class CustomRobot:
    """One custom robot; the webhook URL and secret are held as secrets."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        webhook: SecretStr,
        secret: SecretStr,
        *,
        now: Callable[[], datetime],
        timeout: float,
        per_minute: int = 20,
    ) -> None:
        self._http = http
        self._webhook = webhook
        self._secret = secret
        self._now = now
        self._timeout = timeout
        self._per_minute = per_minute
        self._sent: deque[float] = deque()

    def __repr__(self) -> str:
        return f"CustomRobot(per_minute={self._per_minute})"

    def _pace(self, now_s: float) -> None:
        while self._sent and now_s - self._sent[0] >= WINDOW_S:
            self._sent.popleft()
        if len(self._sent) >= self._per_minute:
            wait = WINDOW_S - (now_s - self._sent[0])
            raise RateLimitedError(
                f"DingTalk robot: {self._per_minute} messages a minute reached", round(wait, 3)
            )

    async def send(self, body: str, *, msg_uuid: str, at_all: bool = False) -> None:
        """Post a text message once per ``msg_uuid``; ``at_all`` mentions everyone."""
        payload = {
            "msgtype": "text",
            "text": {"content": body},
            "at": {"isAtAll": at_all},
            "msgUuid": msg_uuid,
        }
        check_errcode(await self._post(payload), "robot send")

    async def probe(self) -> None:
        """Prove the webhook token and signature work, posting nothing.

        DingTalk checks the token, the signature and the robot's state before
        the payload, so an empty payload is refused for its missing content
        only when everything else is right. Any other answer (bad token 400101,
        robot disabled 400102, group dissolved 400013, ...) is raised.
        """
        response = await self._post({})
        failure = errcode_failure(response, "robot check")
        if failure is None:
            return
        if json_body(response).get("errcode") != ROBOT_MISSING_PAYLOAD:
            raise failure.error("robot check")

    async def _post(self, payload: dict[str, Any]) -> httpx.Response:
        """Sign and post any documented robot message payload."""
        now_s = self._now().timestamp()
        self._pace(now_s)
        timestamp = int(now_s * 1000)
        params = robot_sign_params(self._secret.get_secret_value(), timestamp)
        webhook = self._webhook.get_secret_value()
        # Appended by hand: httpx ``params=`` would replace the URL's access_token.
        joiner = "&" if "?" in webhook else "?"
        url = f"{webhook}{joiner}timestamp={params['timestamp']}&sign={params['sign']}"
        try:
            response = await self._http.post(
                url,
                content=json.dumps(payload, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise transport_error("robot send", exc) from exc
        log.debug("DingTalk robot send: HTTP %s", response.status_code)
        self._sent.append(now_s)  # the request reached DingTalk: it counts
        return response
