"""A thin Matrix client-server API client: one request method, errors translated.

Status codes become the project's error tree through the shared ladder of
:mod:`connectors.http_errors` (429 -> RateLimitedError with the server's hint,
408 / 5xx / connection errors / timeouts -> BackendUnavailableError, 401/403 ->
AuthenticationError, other 4xx -> RejectedError). The access token
travels only in the ``Authorization`` header, never in a URL, so it cannot
leak through an error message that names the request.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

from assistant.errors import AuthenticationError, BackendUnavailableError, ConnectorError
from connectors.http_errors import error_for_status, retry_after_header
from connectors.matrix.config import MatrixConfig, MatrixCredentials
from connectors.transport import transport_reason

log = logging.getLogger(__name__)

API = "/_matrix/client/v3"

JSON = dict[str, Any]


def path(*parts: str) -> str:
    """Join URL path segments, percent-encoding each (room ids contain ``!`` and ``:``)."""
    return "/".join(quote(part, safe="") for part in parts)


class MatrixClient:
    """Authenticated requests against one homeserver for one user."""

    def __init__(
        self, config: MatrixConfig, credentials: MatrixCredentials, http: httpx.AsyncClient
    ) -> None:
        self.config = config
        self._credentials = credentials
        self._http = http
        self._token: str | None = (
            credentials.access_token.get_secret_value() if credentials.access_token else None
        )

    def __repr__(self) -> str:
        return f"MatrixClient(homeserver={self.config.homeserver!r}, user={self.config.user_id!r})"

    async def request(
        self,
        method: str,
        endpoint: str,
        *,
        json: JSON | None = None,
        params: dict[str, str] | None = None,
        timeout: float | None = None,
        authenticated: bool = True,
    ) -> JSON:
        """Call ``API + endpoint`` and return the JSON body, or raise a ConnectorError.

        With password credentials, an expired token (401) is replaced by a
        fresh login once; a token given directly cannot be renewed.
        """
        options: dict[str, Any] = {
            "json": json,
            "params": params,
            "timeout": timeout or self.config.timeout,
        }
        if authenticated and self._token is None:
            await self.login()
        try:
            return await self._send(method, endpoint, options, authenticated=authenticated)
        except AuthenticationError as exc:
            if not (authenticated and self._credentials.password and "HTTP 401" in str(exc)):
                raise
            log.info("Matrix token rejected; logging in again")
            await self.login()
            return await self._send(method, endpoint, options, authenticated=authenticated)

    async def _send(
        self, method: str, endpoint: str, options: dict[str, Any], *, authenticated: bool
    ) -> JSON:
        headers = {"Authorization": f"Bearer {self._token}"} if authenticated else {}
        try:
            response = await self._http.request(
                method,
                self.config.homeserver + API + endpoint,
                headers=headers,
                **options,
            )
        except httpx.TimeoutException as exc:
            raise BackendUnavailableError(
                f"Matrix homeserver did not answer {method} {endpoint} in time"
            ) from exc
        except httpx.TransportError as exc:
            raise BackendUnavailableError(
                f"cannot reach the Matrix homeserver at {self.config.homeserver}: "
                f"{transport_reason(exc)}"
            ) from exc
        return _decode(response, method, endpoint)

    async def login(self) -> None:
        """Exchange the password for an access token on the configured device."""
        if self._credentials.password is None:
            raise AuthenticationError("Matrix access token was rejected and no password is set")
        body = await self.request(
            "POST",
            "/login",
            json={
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": self.config.user_id},
                "password": self._credentials.password.get_secret_value(),
                "device_id": self.config.device_id,
                "initial_device_display_name": "DriveTalk",
            },
            authenticated=False,
        )
        token = body.get("access_token")
        if not isinstance(token, str):
            raise ConnectorError("Matrix login answered without an access token")
        self._token = token
        log.info("logged in to %s as %s", self.config.homeserver, self.config.user_id)


def _decode(response: httpx.Response, method: str, endpoint: str) -> JSON:
    status = response.status_code
    if status < 400:
        try:
            body = response.json()
        except ValueError as exc:
            raise ConnectorError(f"Matrix {method} {endpoint} did not answer with JSON") from exc
        if not isinstance(body, dict):
            raise ConnectorError(f"Matrix {method} {endpoint} answered with unexpected JSON")
        return body
    raise _error(response, f"Matrix {method} {endpoint}")


def _error(response: httpx.Response, what: str) -> ConnectorError:
    status = response.status_code
    errcode, text = _matrix_error(response)
    detail = (
        f"{what}: HTTP {status}"
        + (f" {errcode}" if errcode else "")
        + (f" ({text})" if text else "")
    )
    wait = _retry_after(response) if status == 429 else None
    return error_for_status(status, detail, wait=wait)


def _matrix_error(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    # Server text is truncated: it is shown to a human, not parsed.
    return str(body.get("errcode", ""))[:64], str(body.get("error", ""))[:200]


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait: ``retry_after_ms`` in the body, else the ``Retry-After`` header."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("retry_after_ms"), int | float):
        return max(0.0, float(body["retry_after_ms"]) / 1000)
    return retry_after_header(response)
