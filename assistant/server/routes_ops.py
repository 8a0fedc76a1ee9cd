"""Operations routes: liveness, readiness, Prometheus metrics, the browser page."""

from __future__ import annotations

import asyncio
import contextlib
from importlib import resources

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse, JSONResponse

from assistant.errors import DriveTalkError
from assistant.server.deps import CallerDep, OperatorDep, StateDep
from assistant.server.keys import Principal
from assistant.server.schemas import AUTH_ERRORS, OPERATOR_ERRORS, Health, Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="Liveness (no key needed)")
async def healthz() -> Health:
    """The process is up and answering."""
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={**AUTH_ERRORS, 503: {"model": Readiness, "description": "Not ready"}},
    summary="Readiness: speech model loaded and the caller's backend reachable",
)
async def readyz(state: StateDep, who: CallerDep) -> JSONResponse:
    """Loads the model on first call; 503 until the model and the backend are usable.

    A vehicle key sees its own tenant's readiness only; the operator token
    also sees the load error and the session count of the whole process.
    """
    with contextlib.suppress(DriveTalkError):
        await state.speech.transcriber()
    backend_ok = await _backend_ok(state, who.tenant) if isinstance(who, Principal) else True
    directory = await _directory_ok(state, who.tenant) if isinstance(who, Principal) else None
    state.metrics.model_loaded.set(1 if state.speech.loaded else 0)
    operator = not isinstance(who, Principal)
    body = Readiness(
        ready=state.speech.loaded and backend_ok and not state.sessions.closing,
        model_loaded=state.speech.loaded,
        model_error=state.speech.error if operator else None,
        tts=state.voice.enabled,
        sessions=len(state.sessions) if operator else None,
        directory=directory,
    )
    return JSONResponse(body.model_dump(), status_code=200 if body.ready else 503)


async def _backend_ok(state: StateDep, tenant_name: str) -> bool:
    try:
        tenant = await state.tenants.get(tenant_name)
        return (await tenant.connector.check()).ok
    except DriveTalkError:
        return False


async def _directory_ok(state: StateDep, tenant_name: str) -> bool:
    try:
        tenant = await state.tenants.get(tenant_name)
    except DriveTalkError:
        return False
    return tenant.directory.configured


@router.get(
    "/metrics",
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
        **OPERATOR_ERRORS,
    },
    response_class=Response,
    summary="Prometheus metrics of this process (operator token only)",
)
async def metrics(state: StateDep, who: OperatorDep) -> Response:
    """Counters and histograms in the Prometheus text exposition format."""
    del who
    # The state gauges read SQLite (outbox backlogs): off the event loop.
    body = await asyncio.to_thread(state.metrics.render)
    return Response(body, media_type="text/plain; version=0.0.4")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index() -> HTMLResponse:
    """The browser client (push-to-talk page); it asks for an API key itself."""
    page = resources.files("assistant.server").joinpath("static/index.html").read_text("utf-8")
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})
