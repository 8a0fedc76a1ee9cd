"""Every DingTalk error code the connector acts on, in one table.

Each row says what a code means for DriveTalk and cites the Open Platform
page that documents it:

* ``throttled``: DingTalk's rate limits. Retryable (:class:`RateLimitedError`),
  so the outbox backs off and tries again instead of giving up;
* ``unavailable``: DingTalk is busy. Retryable (:class:`BackendUnavailableError`);
* ``token``: the enterprise app's access token was rejected (expired, revoked).
  The caller drops the cached token and retries once with a fresh one; if the
  fresh one is refused too it is an :class:`AuthenticationError`;
* ``auth``: credentials are wrong (:class:`AuthenticationError`);
* ``refused``: the request itself is refused (:class:`RejectedError`);
* ``not_found``: the user, group or event named is gone (:class:`NotFoundError`).

A code not in the table falls back on the HTTP status (see :func:`by_status`).
v1.0 APIs (``api.dingtalk.com``) answer with a string ``code`` and a 4xx/5xx
status; the old ``oapi`` host and the custom robot answer HTTP 200 with an
integer ``errcode``. The two kinds of code never collide, so one table holds both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from assistant.errors import (
    AuthenticationError,
    BackendUnavailableError,
    ConnectorError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
)
from connectors.http_errors import error_for_status

Kind = Literal["throttled", "unavailable", "token", "auth", "refused", "not_found"]

_OPEN = "https://open.dingtalk.com/document/orgapp/"
#: Access token of an internal app; the v1.0 API's ``InvalidAuthentication``.
DOC_TOKEN = _OPEN + "obtain-the-access_token-of-an-internal-app"
#: Global error codes of the server APIs (oapi ``errcode`` values).
DOC_ERRCODES = _OPEN + "server-api-error-codes-1"
#: API call frequency limits: 20 calls a second per API per app, and their codes.
DOC_LIMITS = _OPEN + "invocation-frequency-limit"
#: Enterprise-app robot: 1:1 messages in batches.
DOC_OTO = _OPEN + "chatbots-send-one-on-one-chat-messages-in-batches"
#: Enterprise-app robot: group messages.
DOC_GROUP = _OPEN + "the-robot-sends-a-group-message"
#: Custom group robot: send, signing, ``msgUuid`` and its error codes.
DOC_ROBOT = _OPEN + "custom-robots-send-group-messages"
#: Calendar: create, delete and list events (``x-client-token``, ``timeMin``/``timeMax``).
DOC_CAL_CREATE = _OPEN + "create-event"
DOC_CAL_DELETE = _OPEN + "delete-event"
DOC_CAL_LIST = _OPEN + "query-event-list"
#: Contacts: search user ids by name; user details.
DOC_SEARCH = _OPEN + "address-book-search-user-id"
DOC_USER = _OPEN + "query-user-details"
DOC_DEPT = _OPEN + "obtain-a-sub-department-id-list-v2"

#: The custom robot's documented penalty once its 20-a-minute limit is exceeded.
ROBOT_PENALTY_S = 600.0


@dataclass(frozen=True, slots=True)
class Rule:
    """What one code means, where that is documented, and a wait hint (seconds)."""

    kind: Kind
    doc: str
    retry_after: float | None = None


TABLE: Mapping[str | int, Rule] = {
    # -- v1.0 APIs: HTTP status + {"code": "...", "message": "..."} ---------------------
    # An expired or invalid token: HTTP 400 (not 401) on the v1.0 APIs.
    "InvalidAuthentication": Rule("token", DOC_TOKEN),
    "invalidClientIdOrSecret": Rule("auth", DOC_TOKEN),
    # HTTP 403: the app's per-API quota (calls a minute) or QPS is exhausted.
    # Per-second limits clear within a second; a per-minute quota within a minute.
    "Forbidden.AccessDenied.QpmLimitForAppkeyAndApi": Rule("throttled", DOC_LIMITS, 60.0),
    "Forbidden.AccessDenied.QpsLimitForApi": Rule("throttled", DOC_LIMITS, 1.0),
    "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi": Rule("throttled", DOC_LIMITS, 1.0),
    # HTTP 400 from the robot send APIs: sending too fast to a group / to people.
    "send.too.fast": Rule("throttled", DOC_GROUP),
    "send.byToken.tooFast": Rule("throttled", DOC_GROUP),
    "too.many.group": Rule("throttled", DOC_OTO),
    "too.many.people": Rule("throttled", DOC_OTO),
    # The robot's group is gone, or the robot was stopped by an administrator.
    "group.disbanded": Rule("not_found", DOC_GROUP),
    "bot.stopped": Rule("refused", DOC_GROUP),
    "invalid.openConversationId": Rule("not_found", DOC_GROUP),
    "eventNotFound": Rule("not_found", DOC_CAL_DELETE),
    # -- oapi host: HTTP 200 + {"errcode": n} -------------------------------------------
    -1: Rule("unavailable", DOC_ERRCODES),  # system busy, retry later
    88: Rule("auth", DOC_ERRCODES),  # authentication failed (see sub_code)
    40001: Rule("token", DOC_ERRCODES),  # invalid access_token or secret
    40014: Rule("token", DOC_ERRCODES),  # invalid access_token
    42001: Rule("token", DOC_ERRCODES),  # access_token expired
    90002: Rule("throttled", DOC_LIMITS),  # app over its per-API call quota
    90006: Rule("throttled", DOC_LIMITS),  # corporation over its call quota
    90018: Rule("throttled", DOC_LIMITS, 1.0),  # over 20 calls a second per API
    60121: Rule("not_found", DOC_USER),  # no such userid
    60003: Rule("not_found", DOC_DEPT),  # no such department
    # -- custom robot: HTTP 200 + {"errcode": n} ----------------------------------------
    310000: Rule("auth", DOC_ROBOT),  # sign not match / timestamp / keyword / IP rule
    300001: Rule("auth", DOC_ROBOT),  # token is not exist (older answer)
    400101: Rule("auth", DOC_ROBOT),  # access_token does not exist
    400102: Rule("refused", DOC_ROBOT),  # robot disabled
    400013: Rule("not_found", DOC_ROBOT),  # group dissolved
    130101: Rule("throttled", DOC_ROBOT, ROBOT_PENALTY_S),  # over 20 a minute: 10 min penalty
    410100: Rule("throttled", DOC_ROBOT, ROBOT_PENALTY_S),  # sending too fast, limited
    660026: Rule("throttled", DOC_ROBOT),  # robot send rate over limit
}

#: The robot answers an empty payload with this once the token and signature
#: passed: proof of working credentials that posts nothing (``connectors check``).
ROBOT_MISSING_PAYLOAD = 40035

_WORDS: Mapping[Kind, str] = {
    "throttled": "throttled",
    "unavailable": "server busy",
    "token": "access token rejected",
    "auth": "authentication failed",
    "refused": "refused",
    "not_found": "not found",
}


def by_status(status: int) -> Kind:
    """The kind of a v1.0 answer whose code is not in the table.

    DingTalk's own meaning of two statuses comes first (401: the token was
    rejected; 404: the object is gone); the rest is the shared ladder of
    :mod:`connectors.http_errors` (429, 408/5xx, 401/403, other 4xx).
    """
    if status == 401:
        return "token"
    if status == 404:
        return "not_found"
    return _SHARED_KIND[type(error_for_status(status, ""))]


_SHARED_KIND: Mapping[type[ConnectorError], Kind] = {
    RateLimitedError: "throttled",
    BackendUnavailableError: "unavailable",
    AuthenticationError: "auth",
    RejectedError: "refused",
}


def lookup(code: str | int | None, status: int = 200) -> Rule:
    """The rule for ``code``; unknown codes fall back on ``status``."""
    rule = TABLE.get(code) if code is not None else None
    return rule if rule is not None else Rule(by_status(status), "")


def to_error(
    rule: Rule, what: str, detail: str, retry_after: float | None = None
) -> ConnectorError:
    """The :mod:`assistant.errors` exception for a failed call described by ``rule``."""
    message = f"DingTalk {what}: {_WORDS[rule.kind]} ({detail})"
    if rule.kind == "throttled":
        return RateLimitedError(
            message, retry_after if retry_after is not None else rule.retry_after
        )
    if rule.kind == "unavailable":
        return BackendUnavailableError(message)
    if rule.kind in ("token", "auth"):
        return AuthenticationError(message)
    if rule.kind == "not_found":
        return NotFoundError(message)
    return RejectedError(message)
