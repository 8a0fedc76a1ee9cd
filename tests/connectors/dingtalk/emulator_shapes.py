"""The two answer shapes of DingTalk, shared by the emulator's modules."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse


def api_error(status: int, code: str, message: str) -> JSONResponse:
    """The v1.0 error shape: an HTTP status and ``{code, message, requestid}``."""
    return JSONResponse({"code": code, "message": message, "requestid": uuid.uuid4().hex}, status)


def errcode(code: int, message: str, **extra: Any) -> JSONResponse:
    """The oapi / robot shape: always HTTP 200 with ``{errcode, errmsg, ...}``."""
    return JSONResponse({"errcode": code, "errmsg": message, **extra})


async def json_body(request: Request) -> dict[str, Any] | None:
    """The request's JSON object, or None."""
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
