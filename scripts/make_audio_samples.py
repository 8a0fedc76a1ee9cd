#!/usr/bin/env python3
"""Regenerate audio_samples/ (WAVs and manifest.yaml) from audio_samples/cases.yaml.

Every turn of every case is spoken by espeak-ng with the case's voice and
rate, padded with silence, mixed with synthetic car-cabin noise at the
case's SNR (assistant/replay/noise.py) and written as 16 kHz mono 16-bit
WAV. The output is deterministic: running the script twice (with the same
espeak-ng version) writes identical files.

A source with ``locale: zh`` (or a case with its own) is Chinese: its lines
are spoken by the Mandarin voice from pinyin, Latin names in them by an
English voice of the same variant (assistant/replay/synth.py), and the
manifest carries the locale.

    .venv/bin/python scripts/make_audio_samples.py            # the whole set
    .venv/bin/python scripts/make_audio_samples.py --only help --out /tmp/x
    .venv/bin/python scripts/make_audio_samples.py --cases audio_samples/zh/cases.yaml \
        --out audio_samples/zh                                 # the Chinese set
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from assistant.replay.synth import OUT_RATE, Rendering, espeak_version, render, seed_for, wav_bytes

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "audio_samples"


def parse_condition(text: str) -> tuple[str | None, float | None]:
    """``clean`` or ``NOISE@SNR`` as (noise, snr)."""
    if text == "clean":
        return None, None
    noise, _, snr = text.partition("@")
    return noise, float(snr)


def rendering_for(
    index: int, case: dict[str, Any], plan: dict[str, list[Any]], locale: str = "en"
) -> Rendering:
    """The voice, rate and noise of case number ``index`` (overrides win)."""
    voices, rates, conditions = plan["voices"], plan["rates"], plan["conditions"]
    noise, snr = parse_condition(str(conditions[index % len(conditions)]))
    if "noise" in case:
        noise, snr = case["noise"], case.get("snr")
    return Rendering(
        voice=str(case.get("voice", voices[index % len(voices)])),
        rate=int(case.get("rate", rates[index % len(rates)])),
        noise=noise,
        snr_db=None if snr is None else float(snr),
        locale=str(case.get("locale", locale)),
    )


def tags_for(case: dict[str, Any], how: Rendering) -> dict[str, str]:
    """Manifest tags: what the summary groups results by."""
    return {
        "flow": str(case.get("flow", "other")),
        "voice": how.voice,
        "rate": str(how.rate),
        "noise": how.noise or "none",
        "snr": "clean" if how.snr_db is None else f"{how.snr_db:g}",
    }


def build_case(
    index: int, case: dict[str, Any], plan: dict[str, Any], out: Path, locale: str = "en"
) -> dict[str, Any]:
    """Render every turn of one case; return its manifest entry."""
    how = rendering_for(index, case, plan, locale)
    turns = []
    for number, turn in enumerate(case["turns"], start=1):
        relative = Path("wav") / case["id"] / f"{number}.wav"
        samples = render(str(turn["say"]), how, seed_for(f"{case['id']}/{number}"))
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_bytes(wav_bytes(samples))
        turn_entry: dict[str, Any] = {
            "audio": relative.as_posix(),
            "transcript": str(turn["say"]),
            "intent": turn["intent"],
        }
        if turn.get("slots"):
            turn_entry["slots"] = turn["slots"]
        turns.append(turn_entry)
    entry: dict[str, Any] = {"id": case["id"], "turns": turns, "tags": tags_for(case, how)}
    if "locale" in case:
        entry["locale"] = case["locale"]
    if "outcome" in case:
        entry["outcome"] = case["outcome"]
    return entry


def main(argv: list[str] | None = None) -> int:
    """Build the set (or the ``--only`` cases) into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=SAMPLES / "cases.yaml")
    parser.add_argument("--out", type=Path, default=SAMPLES)
    parser.add_argument("--only", action="append", metavar="CASE_ID", help="repeatable")
    args = parser.parse_args(argv)
    source = yaml.safe_load(args.cases.read_text(encoding="utf-8"))
    wanted = set(args.only or ())
    unknown = wanted - {c["id"] for c in source["cases"]}
    if unknown:
        parser.error(f"unknown case id(s): {', '.join(sorted(unknown))}")
    if not wanted and (args.out / "wav").exists():
        shutil.rmtree(args.out / "wav")  # a full build leaves no stale files behind
    locale = str(source.get("locale", "en"))
    cases = [
        build_case(i, case, source["rendering"], args.out, locale)
        for i, case in enumerate(source["cases"])
        if not wanted or case["id"] in wanted
    ]
    manifest: dict[str, Any] = {
        "version": 1,
        **({"locale": locale} if locale != "en" else {}),
        "generator": {
            "script": "scripts/make_audio_samples.py",
            "espeak_ng": espeak_version(),
            "sample_rate": OUT_RATE,
        },
        "clock": source["clock"],
        "cases": cases,
    }
    header = "# Generated by scripts/make_audio_samples.py from cases.yaml: do not edit.\n"
    text = header + yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
    (args.out / "manifest.yaml").write_text(text, encoding="utf-8")
    utterances = sum(len(c["turns"]) for c in cases)
    print(f"wrote {len(cases)} cases, {utterances} utterances to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
