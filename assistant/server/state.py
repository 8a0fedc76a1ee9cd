"""Everything one app instance holds; created by ``create_app``, never global."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.locales import Locale
from assistant.server.admission import Admission
from assistant.server.auth import Authenticator
from assistant.server.conversation import Conversation
from assistant.server.keys import KeyStore, Principal
from assistant.server.metrics import Metrics
from assistant.server.operator import OperatorToken
from assistant.server.ratelimit import Limiter
from assistant.server.revocation import RevocationWatch
from assistant.server.sessions import SessionRegistry
from assistant.server.speech import SpeechService, VoiceService
from assistant.server.tenants import Tenant, Tenants
from assistant.storage.postgres import PostgresDatabase

if TYPE_CHECKING:
    from assistant.server.inbound_fanout import InboundFanout

#: Builds the conversation of a new session for a tenant's vehicle, in a locale.
ConversationFactory = Callable[[Tenant, Principal, Locale], Awaitable[Conversation]]


@dataclass(eq=False)
class ServerState:
    """The app's dependencies, reachable from requests as ``request.app.state.server``."""

    settings: Settings
    keys: KeyStore
    auth: Authenticator
    limiter: Limiter
    tenants: Tenants
    sessions: SessionRegistry
    speech: SpeechService
    voice: VoiceService
    metrics: Metrics
    make_conversation: ConversationFactory
    operator: OperatorToken
    revocations: RevocationWatch
    admission: Admission
    #: The fleet's PostgreSQL database (``server.database_url``); None = SQLite only.
    shared: PostgresDatabase | None = None
    #: Hands inbound pushes to the replica holding the car's stream (fleet mode).
    fanout: InboundFanout | None = None
