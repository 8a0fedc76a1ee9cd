"""Thin async client for the DingTalk enterprise-app APIs the connector uses.

Every request carries an explicit timeout and goes through the shared
``httpx.AsyncClient`` (TLS verified). v1.0 APIs take the token in the
``x-acs-dingtalk-access-token`` header; the older ``oapi`` host takes it as
the ``access_token`` query parameter. A request rejected for its token (v1.0:
HTTP 400 ``InvalidAuthentication``, or 401; oapi: errcode 40001/40014/42001)
drops the cached token and is retried once with a freshly fetched one.

User-detail lookups are paced to DingTalk's documented 20 calls a second per
API (``codes.DOC_LIMITS``), and one that is throttled anyway (other cars of
the same enterprise share the app's budget) is retried briefly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from assistant.errors import AuthenticationError, NotFoundError, RateLimitedError, RejectedError
from connectors.dingtalk.pacing import CallWindow
from connectors.dingtalk.responses import (
    Failure,
    api_failure,
    check_api,
    errcode_failure,
    json_body,
    transport_error,
)
from connectors.dingtalk.settings import DingTalkSecrets, DingTalkSettings
from connectors.dingtalk.token import AccessTokenCache
from connectors.retry import RetryPolicy, call_with_retry

log = logging.getLogger(__name__)

ROBOT_TOPIC = "/v1.0/im/bot/messages/get"
#: Documented: 20 calls a second per API per app. The window is a little
#: longer than a second so network jitter cannot squeeze 21 into DingTalk's.
API_CALLS_PER_WINDOW = 20
API_WINDOW_S = 1.1
#: A throttled lookup (the budget is shared by every car of the enterprise)
#: is retried briefly; the dialog is waiting for it.
LOOKUP_RETRY = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=2.0, deadline=6.0)


class DingTalkApi:
    """The enterprise app's calls, with token management and error translation."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: DingTalkSettings,
        secrets: DingTalkSecrets,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if settings.app_key is None or secrets.app_secret is None:
            raise AuthenticationError("DingTalk enterprise app is not configured")
        self._http = http
        self._settings = settings
        self._app_key = settings.app_key
        self._app_secret = secrets.app_secret
        self.tokens = AccessTokenCache(self._fetch_token, margin=settings.token_margin, clock=clock)
        self._user_calls = CallWindow(API_CALLS_PER_WINDOW, API_WINDOW_S)

    def __repr__(self) -> str:
        return f"DingTalkApi(app_key={self._app_key!r}, api_base={self._settings.api_base!r})"

    async def _request(self, what: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(
                method, url, timeout=self._settings.timeout, **kwargs
            )
        except httpx.HTTPError as exc:
            raise transport_error(what, exc) from exc
        log.debug("DingTalk %s: HTTP %s", what, response.status_code)
        return response

    async def _fetch_token(self) -> tuple[SecretStr, float]:
        body = {"appKey": self._app_key, "appSecret": self._app_secret.get_secret_value()}
        url = f"{self._settings.api_base}/v1.0/oauth2/accessToken"
        answer = check_api(
            await self._request("access token", "POST", url, json=body), "access token"
        )
        token, lifetime = answer.get("accessToken"), answer.get("expireIn")
        if not isinstance(token, str) or not isinstance(lifetime, int | float) or lifetime <= 0:
            raise AuthenticationError("DingTalk access token: malformed answer")
        return SecretStr(token), float(lifetime)

    async def call(
        self,
        what: str,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A v1.0 API call; ``path`` starts with ``/v1.0``."""
        url = f"{self._settings.api_base}{path}"
        for attempt in (1, 2):
            token = await self.tokens.get()
            sent = {**(headers or {}), "x-acs-dingtalk-access-token": token.get_secret_value()}
            response = await self._request(what, method, url, headers=sent, **kwargs)
            failure = api_failure(response)
            if failure is None:
                return json_body(response)
            self._give_up_unless_token(failure, token, attempt, what)
        raise AssertionError("unreachable")  # pragma: no cover

    async def oapi(self, what: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """A POST to the oapi host; answers carry ``errcode``."""
        url = f"{self._settings.oapi_base}{path}"
        for attempt in (1, 2):
            token = await self.tokens.get()
            params = {"access_token": token.get_secret_value()}
            response = await self._request(what, "POST", url, params=params, json=body)
            failure = errcode_failure(response, what)
            if failure is None:
                return json_body(response)
            self._give_up_unless_token(failure, token, attempt, what)
        raise AssertionError("unreachable")  # pragma: no cover

    def _give_up_unless_token(
        self, failure: Failure, token: SecretStr, attempt: int, what: str
    ) -> None:
        """Raise ``failure`` unless it is a first rejected token (then drop it)."""
        if not failure.token_rejected or attempt == 2:
            raise failure.error(what)
        log.info("DingTalk %s: access token rejected; fetching a new one", what)
        self.tokens.invalidate(token)

    # -- messaging -----------------------------------------------------------------

    async def send_to_users(self, user_ids: list[str], key: str, param: str) -> str:
        """1:1 robot message; returns DingTalk's processQueryKey."""
        body = {
            "robotCode": self._robot_code,
            "userIds": user_ids,
            "msgKey": key,
            "msgParam": param,
        }
        answer = await self.call("1:1 send", "POST", "/v1.0/robot/oToMessages/batchSend", json=body)
        invalid = answer.get("invalidStaffIdList") or []
        if invalid:
            raise NotFoundError(f"DingTalk 1:1 send: unknown user id(s) {', '.join(invalid)}")
        throttled = answer.get("flowControlledStaffIdList") or []
        if throttled:
            raise RateLimitedError("DingTalk 1:1 send: recipient is flow-controlled", None)
        return str(answer.get("processQueryKey", ""))

    async def send_to_group(self, conversation_id: str, key: str, param: str) -> str:
        """Group robot message; returns DingTalk's processQueryKey."""
        body = {
            "robotCode": self._robot_code,
            "openConversationId": conversation_id,
            "msgKey": key,
            "msgParam": param,
        }
        answer = await self.call("group send", "POST", "/v1.0/robot/groupMessages/send", json=body)
        return str(answer.get("processQueryKey", ""))

    @property
    def _robot_code(self) -> str:
        return self._settings.robot_code or self._app_key

    # -- calendar ------------------------------------------------------------------

    def _events_path(self, union_id: str) -> str:
        return f"/v1.0/calendar/users/{quote(union_id, safe='')}/calendars/primary/events"

    async def create_event(
        self, union_id: str, body: dict[str, Any], client_token: str
    ) -> dict[str, Any]:
        """Create an event; the same ``client_token`` within a day creates it once."""
        headers = {"x-client-token": client_token}
        path = self._events_path(union_id)
        return await self.call("create event", "POST", path, headers=headers, json=body)

    async def list_events(self, union_id: str, time_min: str, time_max: str) -> list[dict]:
        """Every event between the two ISO 8601 instants, following nextToken."""
        events: list[dict] = []
        params: dict[str, str | int] = {"timeMin": time_min, "timeMax": time_max, "maxResults": 100}
        while True:
            page = await self.call("list events", "GET", self._events_path(union_id), params=params)
            events.extend(e for e in page.get("events") or [] if isinstance(e, dict))
            next_token = page.get("nextToken")
            if not next_token:
                return events
            params["nextToken"] = str(next_token)

    async def delete_event(self, union_id: str, event_id: str, client_token: str) -> None:
        """Delete one event; the same ``client_token`` within a day deletes it once."""
        path = f"{self._events_path(union_id)}/{quote(event_id, safe='')}"
        await self.call("delete event", "DELETE", path, headers={"x-client-token": client_token})

    # -- directory -----------------------------------------------------------------

    async def search_users(self, query: str, offset: int, size: int) -> tuple[list[str], bool]:
        """User ids whose name matches ``query``, and whether more exist after them.

        ``offset`` counts users, not pages: the documented example starts at 0
        and the next request starts where the previous page ended
        (``codes.DOC_SEARCH``). ``size`` is at most 100.
        """
        body = {"queryWord": query, "offset": offset, "size": size}
        page = await self.call("contact search", "POST", "/v1.0/contact/users/search", json=body)
        ids = [str(i) for i in page.get("list") or []]
        return ids, bool(page.get("hasMore"))

    async def user(self, user_id: str) -> dict[str, Any]:
        """One user's details (name, unionid, title, mobile, email); paced, see above."""
        body = {"userid": user_id, "language": "en_US"}

        async def lookup() -> dict[str, Any]:
            await self._user_calls.acquire()
            return await self.oapi("user detail", "/topapi/v2/user/get", body)

        answer = await call_with_retry(lookup, LOOKUP_RETRY)
        result = answer.get("result")
        return result if isinstance(result, dict) else {}

    async def department_users(self, dept_id: int, cursor: int, size: int) -> dict[str, Any]:
        """One page of a department's members: {has_more, next_cursor, list}."""
        body = {"dept_id": dept_id, "cursor": cursor, "size": size, "language": "en_US"}
        answer = await self.oapi("department members", "/topapi/v2/user/list", body)
        result = answer.get("result")
        return result if isinstance(result, dict) else {}

    async def sub_departments(self, dept_id: int) -> list[int]:
        """Ids of the direct sub-departments of ``dept_id``."""
        answer = await self.oapi(
            "departments", "/topapi/v2/department/listsubid", {"dept_id": dept_id}
        )
        result = answer.get("result")
        ids = result.get("dept_id_list") if isinstance(result, dict) else None
        return [int(i) for i in ids or []]

    # -- stream mode ---------------------------------------------------------------

    async def open_stream(self) -> tuple[str, SecretStr]:
        """Register a Stream-mode connection: (WebSocket endpoint, one-time ticket)."""
        body = {
            "clientId": self._app_key,
            "clientSecret": self._app_secret.get_secret_value(),
            "subscriptions": [{"type": "CALLBACK", "topic": ROBOT_TOPIC}],
            "ua": "drivetalk",
        }
        url = f"{self._settings.api_base}/v1.0/gateway/connections/open"
        answer = check_api(
            await self._request("stream open", "POST", url, json=body), "stream open"
        )
        endpoint, ticket = answer.get("endpoint"), answer.get("ticket")
        if not isinstance(endpoint, str) or not isinstance(ticket, str):
            raise RejectedError("DingTalk stream open: malformed answer")
        return endpoint, SecretStr(ticket)
