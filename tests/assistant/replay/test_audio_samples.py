"""The shipped replay set (audio_samples/): complete, covering, and reproducible."""

from __future__ import annotations

import shutil
import subprocess
import sys
import wave
from collections import Counter
from pathlib import Path

import pytest
import yaml

from assistant.models import Intent
from assistant.replay.manifest import load_manifest
from assistant.replay.synth import espeak_version

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "audio_samples"
MANIFEST = load_manifest(SAMPLES)
TURNS = [turn for case in MANIFEST.cases for turn in case.turns]


def test_at_least_80_utterances_with_their_recordings() -> None:
    assert len(TURNS) >= 80
    MANIFEST.require_audio()


def test_every_intent_is_covered() -> None:
    assert {t.intent for t in TURNS} == set(Intent)


def test_multi_turn_scripts_of_every_flow() -> None:
    flows = Counter(c.tags["flow"] for c in MANIFEST.cases if len(c.turns) > 1)
    for flow in ("send", "disambiguation", "correction", "cancel", "read_reply"):
        assert flows[flow] >= 2, flow
    assert flows["calendar_create"] >= 2
    assert flows["calendar_query"] >= 1


def test_voices_rates_noises_and_snrs() -> None:
    tags = [c.tags for c in MANIFEST.cases]
    assert len({t["voice"] for t in tags}) >= 4
    assert len({t["rate"] for t in tags}) >= 3
    assert {t["noise"] for t in tags} == {"none", "engine", "road", "fan", "rain", "cabin"}
    assert {t["snr"] for t in tags} == {"clean", "20", "10", "5"}


def test_recordings_are_16_khz_mono_16_bit() -> None:
    for turn in TURNS:
        assert turn.audio is not None
        with wave.open(str(turn.audio)) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
            assert 0.5 < wav.getnframes() / 16000 < 10


def test_the_manifest_is_what_the_source_describes() -> None:
    source = yaml.safe_load((SAMPLES / "cases.yaml").read_text(encoding="utf-8"))
    assert [c["id"] for c in source["cases"]] == [c.id for c in MANIFEST.cases]
    for spec, case in zip(source["cases"], MANIFEST.cases, strict=True):
        assert [t["say"] for t in spec["turns"]] == [t.transcript for t in case.turns]


@pytest.mark.espeak
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_regenerating_a_case_gives_the_committed_files(tmp_path: Path) -> None:
    recorded = yaml.safe_load((SAMPLES / "manifest.yaml").read_text(encoding="utf-8"))
    if recorded["generator"]["espeak_ng"] != espeak_version():
        pytest.skip("a different espeak-ng version renders speech differently")
    case = "send-urgent"  # a noisy case (fan at 5 dB): speech, noise and mixing all count
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts/make_audio_samples.py"),
            "--only",
            case,
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    made = sorted((tmp_path / "wav" / case).glob("*.wav"))
    assert [p.name for p in made] == ["1.wav", "2.wav"]
    for path in made:
        assert path.read_bytes() == (SAMPLES / "wav" / case / path.name).read_bytes()
