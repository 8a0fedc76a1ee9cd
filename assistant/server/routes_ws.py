"""The streaming route: ``/v1/sessions/{id}/stream`` (protocol in :mod:`.stream`)."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from assistant.server.state import ServerState
from assistant.server.stream import StreamHandler

router = APIRouter(prefix="/v1", tags=["streaming"])


@router.websocket("/sessions/{session_id}/stream")
async def stream(websocket: WebSocket, session_id: str) -> None:
    """Binary PCM in, JSON events and WAV reply frames out; see the README."""
    state: ServerState = websocket.app.state.server
    await StreamHandler(state, websocket, session_id).run()
