"""What the operator's state gauges read: a :class:`Snapshot` of one app at scrape time.

Runs in the ``/metrics`` handler's worker thread (the outbox backlog is a
SQLite query per open tenant), so it only reads.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from assistant.errors import DriveTalkError
from assistant.server.admission import decoder_load
from assistant.server.metrics import Backlog, PoolStats, Snapshot
from assistant.server.state import ServerState
from connectors.outbox import Outbox

log = logging.getLogger(__name__)

#: Failure reasons by error class name (a fixed set: labels must stay bounded).
_REASONS = {
    "RateLimitedError": "rate_limited",
    "BackendUnavailableError": "unavailable",
    "AuthenticationError": "authentication",
    "NotFoundError": "not_found",
    "RejectedError": "rejected",
    "ConnectorLoadError": "load",
}


def failure_reason(error: BaseException) -> str:
    """A bounded label for a delivery failure: the nearest known error class."""
    for cls in type(error).__mro__:
        if cls.__name__ in _REASONS:
            return _REASONS[cls.__name__]
    return "error"


def snapshot(state: ServerState) -> Snapshot:
    """The decoder pool, admission, each open tenant's outbox and the database connections."""
    tenants = state.tenants.opened()
    return Snapshot(
        decoders=decoder_load(state.speech.current),
        admitted=state.admission.active,
        capacity=state.admission.capacity,
        backlogs=tuple(b for t in tenants if (b := _backlog(t.name, t.outbox)) is not None),
        pools=_pools(state, len(tenants)),
    )


def _pools(state: ServerState, tenants: int) -> tuple[PoolStats, ...]:
    """The PostgreSQL pool every store shares, or the SQLite stores' connections."""
    if state.shared is not None:
        now = state.shared.usage()
        return (PoolStats("postgres", now.size, now.open, now.in_use, now.waiting),)
    # SQLite: one connection per store, no pool to wait on; what an operator
    # can use is how many are open (one key store, one outbox per open tenant).
    return (
        PoolStats("sqlite_keys", size=1, open=1),
        PoolStats("sqlite_outbox", size=tenants, open=tenants),
    )


def _backlog(tenant: str, outbox: Outbox) -> Backlog | None:
    try:
        pending, oldest = outbox.backlog()
    except DriveTalkError as exc:  # a closed or broken store: say so, go on
        log.warning("cannot read the outbox backlog of tenant %s: %s", tenant, exc)
        return None
    age = 0.0 if oldest is None else max(0.0, (datetime.now(UTC) - oldest).total_seconds())
    return Backlog(tenant, pending, age)
