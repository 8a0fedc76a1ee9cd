"""Prometheus metrics of one app (its own registry, never the global one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

#: Latency buckets (seconds) from a text turn to a long audio decode.
_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The server's counters, gauges and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "drivetalk_http_requests",
            "HTTP requests by route template and status",
            ["route", "status"],
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

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
