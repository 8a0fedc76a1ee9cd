"""What ``drivetalk replay`` writes: report files, progress lines, the gate's verdict.

Kept apart from the command so its options and the run stay readable.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import click
from rich.console import Console

from assistant.errors import InputFileError
from assistant.replay.baseline import Comparison
from assistant.replay.html_report import html_report
from assistant.replay.manifest import Manifest
from assistant.replay.metrics import Threshold, summarise
from assistant.replay.report import jsonl_report, junit_report, print_report, write_text
from assistant.replay.results import CaseResult


@dataclasses.dataclass(frozen=True, slots=True)
class ReportFiles:
    """The report files asked for (--jsonl, --junit, --html)."""

    jsonl: Path | None = None
    junit: Path | None = None
    html: Path | None = None

    def check_writable(self) -> None:
        """InputFileError for a report that could not be written (its folder is made)."""
        for path in (self.jsonl, self.junit, self.html):
            if path is None:
                continue
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputFileError(f"cannot write report {path}: {exc.strerror or exc}") from None
            if path.is_dir() or not os.access(path.parent, os.W_OK):
                why = "is a directory" if path.is_dir() else "permission denied"
                raise InputFileError(f"cannot write report {path}: {why}")


def progress_lines(total: int) -> Callable[[CaseResult], None]:
    """A callback writing ``[3/97] case-id pass 1.42s`` to stderr after each case."""
    done = 0
    width = len(str(total))

    def line(result: CaseResult) -> None:
        nonlocal done
        done += 1
        status = "pass" if result.passed else "ERROR" if result.error else "FAIL"
        click.echo(
            f"[{done:>{width}}/{total}] {result.id} {status} {result.seconds:.2f}s", err=True
        )

    return line


def report(
    manifest: Manifest,
    results: list[CaseResult],
    thresholds: Sequence[Threshold],
    *,
    mode: str,
    audio: bool,
    comparison: Comparison | None,
    files: ReportFiles,
) -> int:
    """Print the report, write the files, list what failed the gate; the exit code (0 or 1)."""
    figures = summarise(results)
    verdicts = {t.label: t.check(figures) for t in thresholds}
    if comparison is not None:
        verdicts["no regressions against the baseline"] = comparison.verdict
    console = Console() if sys.stdout.isatty() else Console(width=160)
    count = f"{len(results)} case{'' if len(results) == 1 else 's'}"
    locales = ", ".join(manifest.locales())
    header = f"replay of {count} from {manifest.path} ({mode}; locale {locales})"
    print_report(
        console,
        results,
        figures,
        audio=audio,
        header=header,
        verdicts=verdicts,
        comparison=comparison,
    )
    if files.jsonl is not None:
        write_text(files.jsonl, jsonl_report(results, figures, verdicts, comparison))
    if files.junit is not None:
        write_text(files.junit, junit_report(results, figures, thresholds, comparison=comparison))
    if files.html is not None:
        page = html_report(
            results, figures, verdicts, header=header, audio=audio, comparison=comparison
        )
        write_text(files.html, page)
    failed = [f"{label}: {why}" for label, why in verdicts.items() if why is not None]
    if failed:
        click.echo(f"drivetalk: gate failed ({len(failed)} of {len(verdicts)}):", err=True)
        for line in failed:
            click.echo(f"  - {line}", err=True)
    return 1 if failed else 0
