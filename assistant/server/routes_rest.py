"""REST routes: sessions, text turns and audio (WAV upload) turns."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response, status

from assistant.errors import RequestRejectedError
from assistant.server import logs
from assistant.server.deps import PrincipalDep, SessionDep, StateDep
from assistant.server.schemas import (
    AUDIO_ERRORS,
    AUTH_ERRORS,
    SESSION_ERRORS,
    Notices,
    SessionCreate,
    SessionInfo,
    TextTurn,
    TurnResponse,
    turn_response,
)
from assistant.server.sessions import Session

router = APIRouter(prefix="/v1", tags=["sessions"])

_WAV_BODY = {
    "requestBody": {
        "required": True,
        "description": "A WAV file (8/16/24/32-bit PCM or 32/64-bit float, any rate)",
        "content": {
            "audio/wav": {"schema": {"type": "string", "format": "binary"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def _info(session: Session) -> SessionInfo:
    return SessionInfo(
        id=session.id,
        tenant=session.owner.tenant,
        vehicle=session.owner.vehicle,
        created_at=session.created_at,
        stream_url=f"/v1/sessions/{session.id}/stream",
        locale=session.conversation.locale,
    )


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionInfo,
    responses=AUTH_ERRORS,
    summary="Open a session (one driver conversation)",
)
async def create_session(
    state: StateDep, who: PrincipalDep, options: SessionCreate | None = None
) -> SessionInfo:
    """Open a session for the calling vehicle; at most ``sessions_per_key`` per key.

    It speaks the requested ``locale``, else the tenant's, else the server's.
    """
    state.admission.check()  # 503 busy: better another replica now than a late reply later
    tenant = await state.tenants.get(who.tenant)
    locale = (options.locale if options else None) or tenant.locale
    session = await state.sessions.create(who, lambda: state.make_conversation(tenant, who, locale))
    logs.session_id.set(session.id)
    session.reply_audio = options.audio if options else True
    await state.sessions.remember(session)
    state.metrics.sessions.set(len(state.sessions))
    return _info(session)


@router.get(
    "/sessions/{session_id}",
    response_model=SessionInfo,
    responses=SESSION_ERRORS,
    summary="Describe a session",
)
async def get_session(session: SessionDep) -> SessionInfo:
    """The session, if it is the caller's."""
    return _info(session)


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=SESSION_ERRORS,
    summary="Close a session",
)
async def delete_session(session: SessionDep, state: StateDep, who: PrincipalDep) -> Response:
    """Close the session; a draft not yet confirmed is dropped, confirmed ones stay queued."""
    await state.sessions.close(who, session.id)
    state.metrics.sessions.set(len(state.sessions))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/sessions/{session_id}/turns/text",
    response_model=TurnResponse,
    responses=SESSION_ERRORS,
    summary="A typed turn: text in, understanding and reply out",
)
async def text_turn(body: TextTurn, session: SessionDep, state: StateDep) -> TurnResponse:
    """Parse the text in the session's dialog context and return the assistant's reply."""
    limit = state.settings.server.limits.text_chars
    if len(body.text) > limit:
        raise RequestRejectedError(
            413, "text_too_long", f"text is {len(body.text)} characters; the limit is {limit}"
        )
    started = time.perf_counter()
    async with state.sessions.turn(session):
        turn = await session.conversation.hear_text(body.text)
        await session.conversation.catch_up_notices()
        notices = session.conversation.take_notices()
    locale = session.conversation.locale
    audio = await state.voice.speak(turn.reply_text, locale) if session.reply_audio else None
    state.metrics.turns.labels("text").observe(time.perf_counter() - started)
    return turn_response(turn, audio, notices=notices)


@router.post(
    "/sessions/{session_id}/turns/audio",
    response_model=TurnResponse,
    responses=AUDIO_ERRORS,
    openapi_extra=_WAV_BODY,
    summary="A spoken turn: WAV in, transcript, understanding and reply out",
)
async def audio_turn(request: Request, session: SessionDep, state: StateDep) -> TurnResponse:
    """Transcribe the uploaded WAV with the shared model, then answer it like a text turn."""
    data = await request.body()
    if not data:
        raise RequestRejectedError(400, "empty_body", "send the WAV file as the request body")
    started = time.perf_counter()
    locale = session.conversation.locale
    with state.admission.admit():
        decoded = await state.speech.decode_wav(
            data, state.settings.server.limits.audio_seconds, locale
        )
    state.metrics.model_loaded.set(1)
    state.metrics.audio_seconds.inc(decoded.seconds)
    async with state.sessions.turn(session):
        turn = await session.conversation.hear(decoded.final)
        await session.conversation.catch_up_notices()
        notices = session.conversation.take_notices()
    audio = await state.voice.speak(turn.reply_text, locale) if session.reply_audio else None
    state.metrics.turns.labels("audio").observe(time.perf_counter() - started)
    return turn_response(turn, audio, decoded.final, decoded.seconds, notices)


@router.get(
    "/sessions/{session_id}/notices",
    response_model=Notices,
    responses=SESSION_ERRORS,
    summary="Unprompted news not heard yet: late deliveries, failures, incoming messages",
)
async def notices(session: SessionDep) -> Notices:
    """Take what the assistant said outside a turn that no WebSocket has streamed (each once)."""
    await session.conversation.catch_up_notices()
    return Notices(notices=list(session.conversation.take_notices()))
