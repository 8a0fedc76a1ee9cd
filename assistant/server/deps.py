"""FastAPI dependencies: the app state, the authenticated caller, their session."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.errors import RequestRejectedError
from assistant.server.keys import Principal
from assistant.server.sessions import Session
from assistant.server.state import ServerState

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer dtk_...`")


def server_state(request: Request) -> ServerState:
    """The app's :class:`ServerState`."""
    state: ServerState = request.app.state.server
    return state


StateDep = Annotated[ServerState, Depends(server_state)]


def principal(
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The verified caller, after its rate limit; 401 / 429 otherwise."""
    if credentials is None:
        raise RequestRejectedError(401, "unauthorized", "missing Authorization: Bearer key")
    who = state.auth.verify(credentials.credentials)
    state.limiter.take(who.key_id)
    return who


PrincipalDep = Annotated[Principal, Depends(principal)]


def session_of(session_id: str, state: StateDep, who: PrincipalDep) -> Session:
    """The caller's session ``session_id`` (404 for anyone else's)."""
    return state.sessions.get(who, session_id)


SessionDep = Annotated[Session, Depends(session_of)]
