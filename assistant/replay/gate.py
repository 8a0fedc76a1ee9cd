"""The release gate of a replay: its limits from the command line, the manifest or the config.

A gate is a set of :class:`~assistant.replay.metrics.Threshold` limits. The
same keys work in three places; for each limit the first place that sets it
wins (command line, then manifest, then config)::

    drivetalk replay --max-wer 0.25 --max-latency-p95-ms 900 --min-accuracy 0.95
    gate: {max_wer: 0.25, max_latency_p95_ms: 900, min_accuracy: 0.95}   # manifest
    [replay.gate]                                                          # config.toml
    max_wer = 0.25

``min_accuracy`` is the intent accuracy; ``fail_under`` (``--fail-under
METRIC=VALUE``) sets a lower bound on any fraction metric. The latency limits
hold the reply latency in milliseconds (end of speech to the first reply
audio, or to the reply text when replies are not synthesised).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from assistant.config import GateSettings
from assistant.replay.metrics import Threshold

#: Gate keys holding an upper bound, and the metric each bounds.
UPPER_KEYS = {
    "max_wer": "wer",
    "max_latency_p50_ms": "latency_p50_ms",
    "max_latency_p95_ms": "latency_p95_ms",
    "max_latency_p99_ms": "latency_p99_ms",
}


def gate_thresholds(gate: GateSettings | None) -> list[Threshold]:
    """The limits ``gate`` sets, in a stable order (none for None)."""
    if gate is None:
        return []
    found = [
        Threshold(metric, value, upper=True)
        for key, metric in UPPER_KEYS.items()
        if (value := getattr(gate, key)) is not None
    ]
    if gate.min_accuracy is not None:
        found.append(Threshold("intent_accuracy", gate.min_accuracy))
    found += [Threshold(name, bound) for name, bound in gate.fail_under.items()]
    return found


def from_options(options: Mapping[str, float | None]) -> list[Threshold]:
    """The limits of the ``--max-*`` / ``--min-accuracy`` options given (range-checked by click)."""
    return gate_thresholds(
        GateSettings.model_validate({k: v for k, v in options.items() if v is not None})
    )


def combine(*layers: Iterable[Threshold]) -> list[Threshold]:
    """One limit per metric and direction: the first layer that sets it wins."""
    chosen: dict[tuple[str, bool], Threshold] = {}
    for layer in layers:
        for threshold in layer:
            chosen.setdefault((threshold.metric, threshold.upper), threshold)
    return list(chosen.values())
