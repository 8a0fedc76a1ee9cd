"""Translate DingTalk answers and transport failures into the error tree.

Two error shapes exist: the v1.0 API answers non-2xx with
``{"code": "...", "message": "..."}``; the old ``oapi`` host and the custom
robot answer HTTP 200 with ``{"errcode": n, "errmsg": "..."}``. Messages are
cut short and never include request URLs (the robot URL carries a token).
"""

from __future__ import annotations

from typing import Any

import httpx

from assistant.errors import (
    AuthenticationError,
    BackendUnavailableError,
    ConnectorError,
    RateLimitedError,
    RejectedError,
)

#: Custom robot errcodes: throttled (documented: 20 a minute, then 10 minutes' penalty).
ROBOT_THROTTLED = {130101, 410100}
#: Robot errcodes about credentials: bad signature/timestamp, unknown or disabled token.
ROBOT_AUTH = {310000, 300001, 300005, 400013}
#: oapi errcodes about the access token.
OAPI_AUTH = {40001, 40014, 42001, 88}
#: Penalty the robot throttle imposes once exceeded (seconds).
ROBOT_PENALTY_S = 600.0

#: v1.0 codes about credentials, whatever the HTTP status they come with.
_API_AUTH_CODES = {
    "InvalidAuthentication",
    "invalidAuthentication",
    "Unauthorized",
    "invalidClientIdOrSecret",
}


def transport_error(what: str, exc: httpx.HTTPError) -> ConnectorError:
    """A timeout or connection failure, named without its URL."""
    if isinstance(exc, httpx.TimeoutException):
        return BackendUnavailableError(f"DingTalk {what}: timed out")
    return BackendUnavailableError(f"DingTalk {what}: unreachable ({type(exc).__name__})")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def check_api(response: httpx.Response, what: str) -> dict[str, Any]:
    """Body of a 2xx v1.0 answer, else the matching ConnectorError."""
    body = _json(response)
    status = response.status_code
    if 200 <= status < 300:
        return body
    code = str(body.get("code", ""))
    detail = f"{code}: {str(body.get('message', ''))[:160]}" if code else f"HTTP {status}"
    if status == 429 or "QpsLimit" in code or "Throttl" in code:
        raise RateLimitedError(f"DingTalk {what}: throttled ({detail})", _retry_after(response))
    if status >= 500:
        raise BackendUnavailableError(f"DingTalk {what}: server error ({detail})")
    if status == 401 or code in _API_AUTH_CODES:
        raise AuthenticationError(f"DingTalk {what}: authentication failed ({detail})")
    raise RejectedError(f"DingTalk {what}: refused ({detail})")


def check_errcode(response: httpx.Response, what: str, *, robot: bool = False) -> dict[str, Any]:
    """Body of an ``errcode == 0`` answer (oapi host and custom robot)."""
    if response.status_code >= 500:
        raise BackendUnavailableError(
            f"DingTalk {what}: server error (HTTP {response.status_code})"
        )
    body = _json(response)
    if response.status_code != 200 or "errcode" not in body:
        raise RejectedError(f"DingTalk {what}: unexpected answer (HTTP {response.status_code})")
    errcode = body.get("errcode")
    if errcode == 0:
        return body
    detail = f"errcode {errcode}: {str(body.get('errmsg', ''))[:160]}"
    if errcode == -1:
        raise BackendUnavailableError(f"DingTalk {what}: system busy ({detail})")
    if robot and errcode in ROBOT_THROTTLED:
        raise RateLimitedError(f"DingTalk {what}: throttled ({detail})", ROBOT_PENALTY_S)
    if errcode in (ROBOT_AUTH if robot else OAPI_AUTH):
        raise AuthenticationError(f"DingTalk {what}: authentication failed ({detail})")
    raise RejectedError(f"DingTalk {what}: refused ({detail})")
