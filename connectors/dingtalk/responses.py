"""Read DingTalk answers and transport failures into the error tree.

Two answer shapes exist: the v1.0 API answers non-2xx with
``{"code": "...", "message": "..."}``; the old ``oapi`` host and the custom
robot answer HTTP 200 with ``{"errcode": n, "errmsg": "..."}``. What each code
means is decided by the one table in :mod:`connectors.dingtalk.codes`.
Messages are cut short and never include request URLs (the robot URL carries
a token).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from assistant.errors import ConnectorError, RejectedError
from connectors.dingtalk.codes import Rule, lookup, to_error
from connectors.http_errors import retry_after_header
from connectors.http_errors import transport_error as _transport_error


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed answer: its rule (from the table), a short detail and a wait hint."""

    rule: Rule
    detail: str
    retry_after: float | None = None

    @property
    def token_rejected(self) -> bool:
        """Whether the access token was refused (drop it and retry once)."""
        return self.rule.kind == "token"

    def error(self, what: str) -> ConnectorError:
        """The exception to raise for this failure."""
        return to_error(self.rule, what, self.detail, self.retry_after)


def transport_error(what: str, exc: httpx.HTTPError) -> ConnectorError:
    """A timeout or connection failure, named without its URL (the shared mapping)."""
    return _transport_error(f"DingTalk {what}", exc)


def json_body(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object, or ``{}``."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def api_failure(response: httpx.Response) -> Failure | None:
    """None for a 2xx v1.0 answer, else what went wrong."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    body = json_body(response)
    code = str(body.get("code", "")) or None
    detail = f"{code}: {str(body.get('message', ''))[:160]}" if code else f"HTTP {status}"
    return Failure(lookup(code, status), detail, retry_after_header(response))


def check_api(response: httpx.Response, what: str) -> dict[str, Any]:
    """Body of a 2xx v1.0 answer, else the matching ConnectorError."""
    failure = api_failure(response)
    if failure is not None:
        raise failure.error(what)
    return json_body(response)


def errcode_failure(response: httpx.Response, what: str) -> Failure | None:
    """None for an ``errcode == 0`` answer (oapi host, custom robot), else what went wrong."""
    if response.status_code >= 500 or response.status_code == 429:
        rule = lookup(None, response.status_code)
        return Failure(rule, f"HTTP {response.status_code}", retry_after_header(response))
    body = json_body(response)
    if response.status_code != 200 or "errcode" not in body:
        raise RejectedError(f"DingTalk {what}: unexpected answer (HTTP {response.status_code})")
    errcode = body.get("errcode")
    if errcode == 0:
        return None
    detail = f"errcode {errcode}: {str(body.get('errmsg', ''))[:160]}"
    code = errcode if isinstance(errcode, int) else None
    return Failure(lookup(code), detail)


def check_errcode(response: httpx.Response, what: str) -> dict[str, Any]:
    """Body of an ``errcode == 0`` answer, else the matching ConnectorError."""
    failure = errcode_failure(response, what)
    if failure is not None:
        raise failure.error(what)
    return json_body(response)
