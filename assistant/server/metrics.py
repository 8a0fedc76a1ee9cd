"""Prometheus metrics of one app (its own registry, never the global one).

Counters and histograms are updated where things happen; gauges that
describe state (decoder pool, admission, outbox backlog, database pools)
are read when ``/metrics`` is scraped, from a :class:`Snapshot` taken by the
app (``Metrics.watch``), so they are never stale.

With several replicas every series is per process; Prometheus adds the
``instance`` label. Sum the decoder, admission and request series over
instances for the fleet; the outbox series describe a tenant's store, which
replicas may share (a shared volume, or PostgreSQL): take ``max by
(tenant)`` of those, not the sum.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from assistant import __version__
from assistant.server.admission import DecoderLoad

#: Latency buckets (seconds) from a text turn to a long audio decode.
_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: Request duration buckets (seconds).
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class Backlog:
    """One tenant's outbox: messages pending and the age of the oldest (seconds)."""

    tenant: str
    pending: int
    oldest_age_s: float


@dataclass(frozen=True, slots=True)
class PoolStats:
    """A database connection pool: its bound, connections open, in use, callers waiting.

    SQLite has no pool: the app reports each store's open connections as
    ``size = open``; a PostgreSQL pool (``psycopg_pool``'s ``get_stats()``)
    fills every field.
    """

    name: str
    size: int
    open: int
    in_use: int = 0
    waiting: int = 0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The state gauges at one scrape."""

    decoders: DecoderLoad
    admitted: int = 0
    capacity: int = 0
    backlogs: tuple[Backlog, ...] = ()
    pools: tuple[PoolStats, ...] = ()


class Metrics:
    """The server's counters, gauges and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "drivetalk_http_requests",
            "HTTP requests by route template (unmatched paths: <unmatched>), method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "drivetalk_http_request_seconds",
            "HTTP request duration by route template",
            ["route"],
            buckets=_REQUEST_BUCKETS,
            registry=self.registry,
        )
        self.rejections = Counter(
            "drivetalk_rejections",
            "Requests refused, by error code",
            ["code"],
            registry=self.registry,
        )
        self.sessions = Gauge("drivetalk_sessions", "Open sessions", registry=self.registry)
        self.streams = Gauge("drivetalk_streams", "Open WebSocket streams", registry=self.registry)
        self.turns = Histogram(
            "drivetalk_turn_seconds",
            "Time from end of input to reply, by kind (text, audio, stream)",
            ["kind"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.model_loaded = Gauge(
            "drivetalk_model_loaded", "1 once the speech model is in memory", registry=self.registry
        )
        self.audio_seconds = Counter(
            "drivetalk_audio_seconds", "Seconds of audio received", registry=self.registry
        )
        self.delivery_failures = Counter(
            "drivetalk_delivery_failures",
            "Failed outbox delivery attempts by connector, reason and whether it was final",
            ["connector", "reason", "final"],
            registry=self.registry,
        )
        build = Gauge(
            "drivetalk_build_info",
            "Always 1; the labels say what runs",
            ["version", "python"],
            registry=self.registry,
        )
        build.labels(__version__, platform.python_version()).set(1)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)

    def watch(self, snapshot: Callable[[], Snapshot]) -> None:
        """Report the state gauges from ``snapshot()`` at every scrape."""
        self.registry.register(_StateCollector(snapshot))

    def render(self) -> bytes:
        """The text exposition format (reads the state: call it off the event loop)."""
        return generate_latest(self.registry)


class _StateCollector(Collector):
    """Turns a :class:`Snapshot` into gauge families when scraped."""

    def __init__(self, snapshot: Callable[[], Snapshot]) -> None:
        self._snapshot = snapshot

    def describe(self) -> Iterable[Metric]:
        return ()  # unchecked: the families depend on what is open

    def collect(self) -> Iterator[Metric]:
        now = self._snapshot()
        decoders = now.decoders
        yield _gauge("drivetalk_decoder_pool_size", "Speech decoders at most", decoders.size)
        yield _gauge("drivetalk_decoder_pool_busy", "Speech decoders decoding now", decoders.busy)
        yield _gauge(
            "drivetalk_decoder_pool_waiting",
            "Utterances waiting for a speech decoder (the queue to scale on)",
            decoders.waiting,
        )
        yield _gauge(
            "drivetalk_admission_active", "Real-time streams and uploads admitted", now.admitted
        )
        yield _gauge(
            "drivetalk_admission_capacity", "Streams and uploads admitted at most", now.capacity
        )
        yield from _backlog_families(now.backlogs)
        yield from _pool_families(now.pools)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _backlog_families(backlogs: Iterable[Backlog]) -> Iterator[Metric]:
    depth = GaugeMetricFamily(
        "drivetalk_outbox_pending", "Messages waiting for delivery, per tenant", labels=["tenant"]
    )
    age = GaugeMetricFamily(
        "drivetalk_outbox_oldest_pending_seconds",
        "Age of the oldest message waiting for delivery, per tenant (0 when none)",
        labels=["tenant"],
    )
    for backlog in backlogs:
        depth.add_metric([backlog.tenant], backlog.pending)
        age.add_metric([backlog.tenant], backlog.oldest_age_s)
    yield depth
    yield age


def _pool_families(pools: Iterable[PoolStats]) -> Iterator[Metric]:
    families = {
        "size": GaugeMetricFamily(
            "drivetalk_db_pool_size", "Connections a database pool may open", labels=["pool"]
        ),
        "open": GaugeMetricFamily(
            "drivetalk_db_pool_open", "Database connections open", labels=["pool"]
        ),
        "in_use": GaugeMetricFamily(
            "drivetalk_db_pool_in_use", "Database connections lent out", labels=["pool"]
        ),
        "waiting": GaugeMetricFamily(
            "drivetalk_db_pool_waiting", "Callers waiting for a connection", labels=["pool"]
        ),
    }
    for pool in pools:
        for attribute, family in families.items():
            family.add_metric([pool.name], getattr(pool, attribute))
    yield from families.values()
