"""FastAPI dependencies: the app state, the authenticated caller, their session."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.errors import RequestRejectedError
from assistant.server.keys import Principal
from assistant.server.operator import Operator
from assistant.server.sessions import Session
from assistant.server.state import ServerState

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer dtk_...`")


def server_state(request: Request) -> ServerState:
    """The app's :class:`ServerState`."""
    state: ServerState = request.app.state.server
    return state


StateDep = Annotated[ServerState, Depends(server_state)]


CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def client_address(request: Request) -> str | None:
    """The peer address (the load balancer's, unless uvicorn trusts its forwarded headers)."""
    return request.client.host if request.client else None


# The dependencies below are plain ``def``: FastAPI runs them in its thread
# pool, so scrypt and SQLite never block the event loop.


def principal(request: Request, state: StateDep, credentials: CredentialsDep) -> Principal:
    """The verified caller, after its rate limit; 401 / 429 otherwise."""
    if credentials is None:
        raise RequestRejectedError(401, "unauthorized", "missing Authorization: Bearer key")
    who = state.auth.verify(credentials.credentials, client_address(request))
    state.limiter.take(who.key_id)
    return who


PrincipalDep = Annotated[Principal, Depends(principal)]


def operator(request: Request, state: StateDep, credentials: CredentialsDep) -> Operator:
    """The operator (``server.operator_token_env``); 401 for anyone else, vehicle keys too."""
    if credentials is None:
        raise RequestRejectedError(401, "unauthorized", "missing Authorization: Bearer token")
    names = [f"client:{client_address(request)}"]
    state.auth.throttle.check(names)
    if state.operator.matches(credentials.credentials):
        return Operator()
    state.auth.throttle.failed(names)
    raise RequestRejectedError(
        401,
        "unauthorized",
        "this route needs the operator token (server.operator_token_env), not a vehicle key",
    )


OperatorDep = Annotated[Operator, Depends(operator)]


def caller(request: Request, state: StateDep, credentials: CredentialsDep) -> Principal | Operator:
    """The operator, or else a verified vehicle key."""
    if credentials is not None and state.operator.matches(credentials.credentials):
        return Operator()
    return principal(request, state, credentials)


CallerDep = Annotated[Principal | Operator, Depends(caller)]


async def session_of(session_id: str, state: StateDep, who: PrincipalDep) -> Session:
    """The caller's session ``session_id`` (404 for anyone else's)."""
    return await state.sessions.get(who, session_id)


SessionDep = Annotated[Session, Depends(session_of)]
