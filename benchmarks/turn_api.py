"""Parse and whole-turn latency over the dev sets, this tree against another, in one run.

Usage::

    git worktree add /tmp/root-base 9078322      # the tree before the composition root
    .venv/bin/python benchmarks/turn_api.py --baseline-checkout /tmp/root-base [--rounds 5]

Every round runs one worker process per tree, alternating (so load on a
shared machine hits both alike). A worker opens the chat conversation the
way its tree builds it (``assistant.compose.open_conversation`` here,
``assistant.dialog.session.open_session`` before), on a fresh demo store
with a fixed clock, and for every sentence of ``benchmarks/data/driver_dev.jsonl``
(English) and ``zh_dev.jsonl`` (Mandarin) times

* **parse**: ``runner.parse(sentence)`` in the open question's context;
* **turn**: ``runner.hear(sentence)``, parse + engine steps + backend
  actions + the replies handed to the speech sink (which keeps the text);

then answers "cancel" (not timed) so every sentence starts a fresh task.
Printed per tree: wall-clock p50 / p95 and CPU-time p50 / mean (CPU time is
what the process itself spent, which other jobs on a shared machine hardly
change), and the ratios this tree / baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
SETS = {"en": DATA / "driver_dev.jsonl", "zh": DATA / "zh_dev.jsonl"}
ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=ZONE)


def sentences(locale: str) -> list[str]:
    """The dev set's sentences of ``locale``."""
    lines = SETS[locale].read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["sentence"] for line in lines if line.strip()]


async def _open(data_dir: Path, locale: str) -> Any:
    """The chat conversation as the imported tree builds it (new API, else the old one)."""
    from assistant.config import Settings

    settings = Settings(data_dir=data_dir, locale=locale, connectors={"local": {"seed_demo": True}})
    try:
        from assistant.compose import open_conversation
        from assistant.dialog.sink import ShownAndSpoken

        said: list[str] = []
        return await open_conversation(
            settings,
            zone=ZONE,
            clock=lambda: NOW,
            speech=ShownAndSpoken(said.append),
            timeouts=False,
        )
    except ImportError:
        from assistant.dialog.session import open_session  # type: ignore[import-not-found]

        kept: list[str] = []
        return await open_session(
            settings, zone=ZONE, clock=lambda: NOW, on_say=kept.append, timeouts=False
        )


async def _measure(locale: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"parse": [], "turn": [], "parse cpu": [], "turn cpu": []}
    with tempfile.TemporaryDirectory() as tmp:
        session = await _open(Path(tmp), locale)
        runner = session.runner
        try:
            for text in sentences(locale):
                t0, c0 = time.perf_counter(), time.process_time()
                runner.parse(text)
                out["parse"].append(time.perf_counter() - t0)
                out["parse cpu"].append(time.process_time() - c0)
                t0, c0 = time.perf_counter(), time.process_time()
                await runner.hear(text)
                out["turn"].append(time.perf_counter() - t0)
                out["turn cpu"].append(time.process_time() - c0)
                await runner.hear("cancel" if locale == "en" else "取消")
        finally:
            await session.aclose()
    return out


def worker() -> None:
    """Measure the tree first on sys.path; print JSON samples (seconds)."""
    import assistant

    out = {"tree": str(Path(assistant.__file__).parents[1])}
    for locale in SETS:
        out[locale] = asyncio.run(_measure(locale))  # type: ignore[assignment]
    print(json.dumps(out))


def _run(tree: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    code = f"import sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); "
    code += "import turn_api; turn_api.worker()"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tree, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if Path(result["tree"]).resolve() != tree.resolve():
        raise SystemExit(f"worker imported {result['tree']}, not {tree}")
    return result


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def main() -> None:
    """Run both trees ``--rounds`` times, alternating, and print the table."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--baseline-checkout", type=Path, required=True)
    args.add_argument("--rounds", type=int, default=5)
    opts = args.parse_args()
    trees = {"before": opts.baseline_checkout, "after": ROOT}
    samples: dict[tuple[str, str, str], list[float]] = {}
    for _ in range(opts.rounds):
        for label, tree in trees.items():
            found = _run(tree)
            for locale in SETS:
                for kind, values in found[locale].items():
                    samples.setdefault((label, locale, kind), []).extend(values)
    print(f"machine: {platform.machine()} {os.cpu_count()} cpu, python {platform.python_version()}")
    print("| set | measure | tree | n | wall p50 ms | wall p95 ms | CPU p50 ms | CPU mean ms |")
    print("|---|---|---|---|---:|---:|---:|---:|")
    for locale in SETS:
        for kind in ("parse", "turn"):
            p50: dict[str, float] = {}
            cpu: dict[str, float] = {}
            for label in trees:
                wall = [s * 1000 for s in samples[label, locale, kind]]
                spent = [s * 1000 for s in samples[label, locale, f"{kind} cpu"]]
                p50[label], cpu[label] = _pct(wall, 0.5), statistics.fmean(spent)
                print(
                    f"| {locale} | {kind} | {label} | {len(wall)} | {p50[label]:.3f} | "
                    f"{_pct(wall, 0.95):.3f} | {_pct(spent, 0.5):.3f} | {cpu[label]:.3f} |"
                )
            print(
                f"| {locale} | {kind} | after / before | | {p50['after'] / p50['before']:.3f} | "
                f"| | {cpu['after'] / cpu['before']:.3f} |"
            )


if __name__ == "__main__":
    main()
