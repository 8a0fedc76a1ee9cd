"""Every failure becomes ``{"error": {"code", "message"}}`` with the right status.

Errors from our tree map to 4xx (the caller's fault) or 502/503 (a backend's);
anything else is a bug: logged with its traceback, answered with a bare 500
that reveals nothing.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from assistant.errors import (
    AudioFormatError,
    BackendUnavailableError,
    ConnectorError,
    DriveTalkError,
    RateLimitedError,
    RequestRejectedError,
    UserInputError,
)
from assistant.server.metrics import Metrics
from assistant.server.schemas import error_body

log = logging.getLogger(__name__)


def status_of(error: DriveTalkError) -> tuple[int, str]:
    """HTTP status and error code for one of our errors."""
    if isinstance(error, RequestRejectedError):
        return error.status, error.code
    if isinstance(error, AudioFormatError):
        return 415, "bad_audio"
    if isinstance(error, UserInputError):
        return 400, "bad_request"
    if isinstance(error, RateLimitedError | BackendUnavailableError):
        return 503, "backend_unavailable"
    if isinstance(error, ConnectorError):
        return 502, "backend_error"
    return 500, "internal_error"


def _json(status: int, code: str, message: str, metrics: Metrics) -> JSONResponse:
    metrics.rejections.labels(code).inc()
    return JSONResponse(error_body(code, message), status_code=status)


def allowed_methods(request: Request) -> list[str]:
    """Every method any route of the app serves on this path.

    Starlette's 405 lists only the first matching route's methods; a path
    served by several routes (GET and DELETE of a session) needs them all.
    """
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


def install_error_handlers(app: FastAPI, metrics: Metrics) -> None:
    """Register the handlers on ``app``."""

    async def ours(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DriveTalkError)
        status, code = status_of(exc)
        if status >= 500:
            log.warning("%s %s failed: %s", request.method, request.url.path, exc)
        response = _json(status, code, str(exc), metrics)
        retry = getattr(exc, "retry_after", None)
        if retry is not None:
            response.headers["Retry-After"] = str(int(retry))
        return response

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"invalid request: {where}: {first.get('msg', 'does not match the schema')}"
        return _json(422, "invalid_request", message, metrics)

    async def http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        codes = {400: "malformed_body", 404: "not_found", 405: "method_not_allowed"}
        code = codes.get(exc.status_code, "http_error")
        response = _json(exc.status_code, code, str(exc.detail), metrics)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response

    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s crashed", request.method, request.url.path, exc_info=exc)
        return _json(500, "internal_error", "internal server error", metrics)

    app.add_exception_handler(DriveTalkError, ours)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http)
    app.add_exception_handler(Exception, bug)
