"""Replay reports: JSONL results, JUnit XML for CI systems, rich tables for people.

JSONL: one ``{"type": "case", ...}`` object per case (see
:meth:`CaseResult.to_json`), then one ``{"type": "summary", ...}`` object
with the overall figures, the figures by tag and the threshold verdicts.

JUnit XML follows the common Jenkins/Surefire shape: one ``<testsuite>``
named ``drivetalk.replay`` with one ``<testcase>`` per case (class name
``replay.<flow tag>``) failing with the mismatches, an ``<error>`` when the
case could not run, and one ``<testcase>`` per ``--fail-under`` threshold
(class name ``replay.thresholds``). The summary figures are ``<properties>``.
"""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from assistant.errors import InputFileError
from assistant.replay.baseline import Comparison
from assistant.replay.metrics import Figures, Percentiles, Threshold, by_tag
from assistant.replay.results import CaseResult

SUITE_NAME = "drivetalk.replay"
#: Tags shown as their own summary tables, in this order (others follow).
TAG_ORDER = ("snr", "noise", "voice", "rate", "flow")
#: Tags that describe the recording: meaningless when transcripts are replayed.
AUDIO_TAGS = frozenset({"snr", "noise", "voice", "rate"})


def write_text(path: Path, text: str) -> None:
    """Write a report file; InputFileError when it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"cannot write report {path}: {exc.strerror or exc}") from exc


def jsonl_report(
    results: Sequence[CaseResult],
    figures: Figures,
    verdicts: dict[str, str | None],
    comparison: Comparison | None = None,
) -> str:
    """The JSONL results: case lines, then the summary line (with the baseline comparison)."""
    lines = [json.dumps({"type": "case", **r.to_json()}, ensure_ascii=False) for r in results]
    summary = {
        "type": "summary",
        **figures.to_json(),
        "by_tag": {
            key: {value: fig.to_json() for value, fig in groups.items()}
            for key, groups in by_tag(results).items()
        },
        "thresholds": verdicts,
        "baseline": None if comparison is None else comparison.to_json(),
    }
    lines.append(json.dumps(summary, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def junit_report(
    results: Sequence[CaseResult],
    figures: Figures,
    thresholds: Sequence[Threshold],
    *,
    timestamp: datetime | None = None,
    comparison: Comparison | None = None,
) -> str:
    """JUnit XML of a replay (see the module docstring for the shape)."""
    verdicts = [(t.title, t.check(figures)) for t in thresholds]
    if comparison is not None:
        verdicts.append(("no regressions against the baseline", comparison.verdict))
    failures = sum(1 for r in results if r.error is None and not r.passed)
    failures += sum(1 for _t, why in verdicts if why is not None)
    errors = sum(1 for r in results if r.error is not None)
    total_time = sum(r.seconds for r in results)
    counts = {
        "tests": str(len(results) + len(verdicts)),
        "failures": str(failures),
        "errors": str(errors),
        "time": f"{total_time:.3f}",
    }
    root = ET.Element("testsuites", {"name": SUITE_NAME, **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": SUITE_NAME,
            **counts,
            "skipped": "0",
            "timestamp": (timestamp or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S"),
            "hostname": socket.gethostname() or "localhost",
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in _flat_figures(figures).items():
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for result in results:
        _case_element(suite, result)
    for name, why in verdicts:
        case = ET.SubElement(
            suite, "testcase", {"classname": "replay.thresholds", "name": name, "time": "0"}
        )
        if why is not None:
            ET.SubElement(case, "failure", {"message": why, "type": "threshold"}).text = why
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _case_element(suite: ET.Element, result: CaseResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": f"replay.{result.tags.get('flow', 'case')}",
            "name": result.id,
            "time": f"{result.seconds:.3f}",
        },
    )
    if result.error is not None:
        ET.SubElement(case, "error", {"message": result.error, "type": "error"}).text = result.error
    elif not result.passed:
        problems = result.problems()
        ET.SubElement(
            case, "failure", {"message": problems[0], "type": "mismatch"}
        ).text = "\n".join(problems)
    transcript = "\n".join(
        f"turn {t.index}: heard {t.heard!r} -> {t.intent}; said {t.reply!r}" for t in result.turns
    )
    if transcript:
        ET.SubElement(case, "system-out").text = transcript


def _flat_figures(figures: Figures) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in figures.to_json().items():
        if isinstance(value, dict):
            for name, p in value.items():
                for stat, number in (p or {}).items():
                    flat[f"{key}.{name}.{stat}"] = str(number)
        elif value is not None:
            flat[key] = str(value)
    return flat


# -- rich tables ---------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _ms(p: Percentiles | None) -> str:
    return "-" if p is None else f"{p.p50 * 1000:.0f} / {p.p95 * 1000:.0f} / {p.p99 * 1000:.0f}"


def case_table(results: Sequence[CaseResult], *, audio: bool) -> Table:
    """One row per case: tags, WER, turns accepted, outcome, first problem."""
    table = Table(title="Replayed cases", title_justify="left", expand=False)
    for name in ("case", "voice", "noise", "snr"):
        table.add_column(name, no_wrap=True)
    if audio:
        table.add_column("WER", justify="right")
    table.add_column("turns ok", justify="right")
    table.add_column("outcome")
    table.add_column("result")
    table.add_column("first problem", overflow="fold")
    for r in results:
        words = [t.words for t in r.turns if t.words is not None]
        ref = sum(w.reference_words for w in words)
        wer = [_pct(sum(w.errors for w in words) / ref) if ref else "-"] if audio else []
        ok = sum(t.accepted for t in r.turns)
        outcome = {None: "-", True: "ok", False: "WRONG"}[r.outcome_ok]
        status = "[green]pass[/]" if r.passed else "[red]ERROR[/]" if r.error else "[red]FAIL[/]"
        problems = r.problems()
        table.add_row(
            r.id,
            r.tags.get("voice", ""),
            r.tags.get("noise", ""),
            r.tags.get("snr", ""),
            *wer,
            f"{ok}/{r.planned_turns}",
            outcome,
            status,
            problems[0] if problems else "",
        )
    return table


def summary_table(figures: Figures, title: str = "Summary") -> Table:
    """The headline figures."""
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows: list[tuple[str, str]] = [
        ("cases / turns", f"{figures.cases} / {figures.turns}"),
        ("cases with errors", str(figures.errors)),
        ("word error rate", _pct(figures.wer)),
        ("intent accuracy", _pct(figures.intent_accuracy)),
        ("slot accuracy", _pct(figures.slot_accuracy)),
        ("command acceptance", _pct(figures.command_acceptance)),
        ("task success", _pct(figures.task_success)),
        ("cases passed", _pct(figures.case_pass_rate)),
        ("end of speech -> final transcript p50/p95/p99 ms", _ms(figures.latency["final"])),
        ("end of speech -> reply text p50/p95/p99 ms", _ms(figures.latency["reply_text"])),
        ("end of speech -> first reply audio p50/p95/p99 ms", _ms(figures.latency["reply_audio"])),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def tag_tables(results: Sequence[CaseResult], *, audio: bool = True) -> list[Table]:
    """One table per tag key (snr, noise, voice, ...): the figures per value."""
    grouped = by_tag(results)
    keys = [k for k in TAG_ORDER if k in grouped] + sorted(set(grouped) - set(TAG_ORDER))
    keys = keys if audio else [k for k in keys if k not in AUDIO_TAGS]
    tables = []
    for key in keys:
        table = Table(title=f"By {key}", title_justify="left")
        for name in (key, "cases", "WER", "intent", "slots", "accepted", "task", "final ms"):
            table.add_column(name, justify="left" if name == key else "right")
        table.add_column("reply ms", justify="right")
        table.add_column("audio ms", justify="right")
        for value, fig in grouped[key].items():
            table.add_row(
                value,
                str(fig.cases),
                _pct(fig.wer),
                _pct(fig.intent_accuracy),
                _pct(fig.slot_accuracy),
                _pct(fig.command_acceptance),
                _pct(fig.task_success),
                _ms(fig.latency["final"]),
                _ms(fig.latency["reply_text"]),
                _ms(fig.latency["reply_audio"]),
            )
        tables.append(table)
    return tables


def print_report(
    console: Console,
    results: Sequence[CaseResult],
    figures: Figures,
    *,
    audio: bool,
    header: str,
    verdicts: dict[str, str | None],
    comparison: Comparison | None = None,
) -> None:
    """Everything a tester reads on the terminal."""
    console.print(header)
    console.print(case_table(results, audio=audio))
    for table in tag_tables(results, audio=audio):
        console.print(table)
    console.print(summary_table(figures))
    if comparison is not None:
        console.print(
            f"Against baseline {comparison.path}: {len(comparison.regressions)} regressed, "
            f"{len(comparison.fixed)} fixed, {len(comparison.new)} new",
            highlight=False,
            soft_wrap=True,
        )
        if comparison.regressions:
            console.print(regression_table(comparison))
    for metric, why in verdicts.items():
        mark = "[green]ok[/]" if why is None else f"[red]FAILED[/]: {why}"
        console.print(f"gate {metric}: {mark}", highlight=False)


def regression_table(comparison: Comparison) -> Table:
    """The cases that got worse since the baseline, and how."""
    table = Table(title="Regressed cases", title_justify="left")
    table.add_column("regressed case", no_wrap=True)
    table.add_column("what got worse", overflow="fold")
    for regression in comparison.regressions:
        table.add_row(regression.id, "; ".join(regression.reasons))
    return table
