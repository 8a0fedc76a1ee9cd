"""``create_app``: the fleet server as a FastAPI application, with no global state.

Every dependency (settings, key store, speech engines, the conversation
factory, the clock) is passed in or built here and hung on
``app.state.server``; two apps in one process share nothing but the vosk
model cache, which is exactly what should be shared.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from assistant import __version__
from assistant.config import Settings
from assistant.errors import ConnectorError
from assistant.server import logs, routes_ops, routes_rest, routes_ws
from assistant.server.admission import Admission, decoder_load
from assistant.server.assembly import dialog_conversations
from assistant.server.auth import Authenticator
from assistant.server.auththrottle import FailureThrottle
from assistant.server.conversation import Conversation
from assistant.server.docs import mount_docs
from assistant.server.handlers import install_error_handlers
from assistant.server.inbound_fanout import InboundFanout
from assistant.server.keys import Principal
from assistant.server.limits import BodyLimitMiddleware
from assistant.server.metrics import Metrics
from assistant.server.notices import NoticeRelay
from assistant.server.observe import ObserveMiddleware
from assistant.server.operator import OperatorToken
from assistant.server.probes import failure_reason, snapshot
from assistant.server.ratelimit import RateLimiter
from assistant.server.revocation import RevocationWatch
from assistant.server.session_store import SessionStore
from assistant.server.sessions import SessionRegistry
from assistant.server.shared_ratelimit import SharedRateLimiter
from assistant.server.speech import (
    SpeechService,
    SynthFactory,
    TranscriberFactory,
    VoiceService,
    tts_factory,
    vosk_factory,
)
from assistant.server.state import ConversationFactory, ServerState
from assistant.server.tenants import Tenants
from assistant.server.webhook import (
    check_webhook_secrets,
    mount_inbound_webhook,
    open_webhook_tenants,
)
from assistant.storage.fleet import fleet_database, open_key_store
from assistant.storage.postgres import PostgresDatabase, secrets_of

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"

DESCRIPTION = """\
DriveTalk fleet server: hands-free enterprise messaging and calendar for drivers.

Every route except `/healthz` (and this documentation and the browser page)
needs an API key: `Authorization: Bearer dtk_...`, created with
`drivetalk keys create --tenant T --vehicle V`; `/metrics` needs the operator
token instead (`server.operator_token_env`), which also shows `/readyz` details. Errors are always
`{"error": {"code", "message"}}`. Streaming audio goes over the WebSocket
`/v1/sessions/{id}/stream` (protocol in the README).
"""


def create_app(
    settings: Settings,
    *,
    transcriber: TranscriberFactory | None = None,
    synthesizer: SynthFactory | None = None,
    conversations: ConversationFactory | None = None,
    now: Callable[[], datetime] | None = None,
    env: Mapping[str, str] | None = None,
) -> FastAPI:
    """Build the app; ``None`` arguments mean the real engines from ``settings``.

    ``env`` (default ``os.environ``) holds the operator token; connectors take
    their secrets from ``os.environ``. A bad token or tenants sharing a
    webhook secret are a ConfigError here, before serving.
    """
    check_webhook_secrets(settings, os.environ)
    environ = os.environ if env is None else env
    operator = OperatorToken.from_env(settings, environ)
    logs.redact([environ.get(settings.server.operator_token_env, "").strip()])
    if settings.server.database_url is not None:
        logs.redact(secrets_of(settings.server.database_url))
    state = _build_state(settings, transcriber, synthesizer, conversations, now)
    state.operator = operator
    state.metrics.watch(lambda: snapshot(state))
    if state.shared is not None:
        state.fanout = InboundFanout(state.shared, state.tenants)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        del app
        await open_webhook_tenants(state)
        # Deliver what an earlier run left behind now, not when a car next connects.
        await state.tenants.open_pending()
        background = [
            asyncio.create_task(_sweep_idle(state)),
            asyncio.create_task(state.revocations.run()),
        ]
        if state.fanout is not None:
            background.append(asyncio.create_task(state.fanout.run()))
        if state.shared is not None:
            relay = NoticeRelay(state.shared, state.tenants)
            background.append(asyncio.create_task(relay.run()))
        try:
            yield
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await _shutdown(state)

    app = FastAPI(
        title="DriveTalk fleet server",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.server = state
    install_error_handlers(app, state.metrics)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.server.limits.request_bytes)
    app.add_middleware(ObserveMiddleware, metrics=state.metrics)  # outermost: sees every answer
    app.include_router(routes_ops.router)
    app.include_router(routes_rest.router)
    app.include_router(routes_ws.router)
    mount_inbound_webhook(app, state)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    mount_docs(app)
    return app


def _build_state(
    settings: Settings,
    transcriber: TranscriberFactory | None,
    synthesizer: SynthFactory | None,
    conversations: ConversationFactory | None,
    now: Callable[[], datetime] | None,
) -> ServerState:
    clock = now or (lambda: datetime.now(settings.zone))
    limits = settings.server.limits
    shared = fleet_database(settings)
    keys = open_key_store(settings, shared)
    throttle = FailureThrottle(limits.auth_rate, limits.auth_burst)
    metrics = Metrics()
    speech = SpeechService(transcriber or vosk_factory(settings), settings.locale)

    def delivery_failed(connector: str, error: ConnectorError, final: bool) -> None:
        reason = failure_reason(error)
        metrics.delivery_failures.labels(connector, reason, str(final).lower()).inc()

    tenants = Tenants(settings, clock, shared, on_delivery_failure=delivery_failed)
    make = conversations or dialog_conversations(settings, clock)
    return ServerState(
        settings=settings,
        keys=keys,
        auth=Authenticator(keys, throttle=throttle),
        limiter=(
            SharedRateLimiter(shared, limits.rate_per_key, limits.burst_per_key)
            if shared is not None
            else RateLimiter(limits.rate_per_key, limits.burst_per_key)
        ),
        tenants=tenants,
        sessions=_sessions(settings, shared, tenants, make),
        speech=speech,
        voice=VoiceService(
            synthesizer if synthesizer is not None else tts_factory(settings), settings.locale
        ),
        metrics=metrics,
        make_conversation=make,
        operator=OperatorToken(None),
        revocations=RevocationWatch(keys),
        admission=Admission(settings.server.admission, lambda: decoder_load(speech.current)),
        shared=shared,
    )


def _sessions(
    settings: Settings,
    shared: PostgresDatabase | None,
    tenants: Tenants,
    make: ConversationFactory,
) -> SessionRegistry:
    """Sessions of this process, or (with a fleet database) of every replica."""
    per_key, idle = settings.server.limits.sessions_per_key, settings.server.session_idle_seconds
    if shared is None:
        return SessionRegistry(per_key, idle)

    async def rebuild(who: Principal) -> Conversation:
        # In the tenant's language; the snapshot restored next switches to the session's.
        tenant = await tenants.get(who.tenant)
        return await make(tenant, who, tenant.locale)

    return SessionRegistry(per_key, idle, SessionStore(shared), rebuild)


async def _sweep_idle(state: ServerState) -> None:
    """Close sessions idle for longer than ``server.session_idle_seconds``."""
    period = min(60.0, state.settings.server.session_idle_seconds / 2)
    while True:
        await asyncio.sleep(period)
        if await state.sessions.expire_idle():
            state.metrics.sessions.set(len(state.sessions))


async def _shutdown(state: ServerState) -> None:
    """Drain sessions, close tenants (outboxes keep confirmed messages), stop engines."""
    log.info("shutting down: draining %d session(s)", len(state.sessions))
    await state.sessions.drain(state.settings.server.drain_seconds)
    await state.tenants.aclose()
    state.voice.close()
    state.auth.close()
    state.keys.close()
    if state.shared is not None:
        state.shared.close()
