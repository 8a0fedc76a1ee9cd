"""The shipped Chinese replay set (audio_samples/zh/): recorded, zh, reproducible, modest."""

from __future__ import annotations

import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pytest
import yaml

from assistant.replay.manifest import load_manifest
from assistant.replay.synth import espeak_version

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "audio_samples" / "zh"
MANIFEST = load_manifest(SAMPLES)
TURNS = [turn for case in MANIFEST.cases for turn in case.turns]
#: The English set is about 8.4 MB; the Chinese one may not be much larger.
MAX_BYTES = 9_000_000


def test_every_turn_has_its_recording_and_the_set_is_chinese() -> None:
    MANIFEST.require_audio()
    assert MANIFEST.locales() == ("zh",)
    assert len(TURNS) >= 60


def test_recordings_are_16_khz_mono_16_bit_and_the_set_stays_modest() -> None:
    total = 0
    for turn in TURNS:
        assert turn.audio is not None
        with wave.open(str(turn.audio)) as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
            assert 0.5 < wav.getnframes() / 16000 < 10
        total += turn.audio.stat().st_size
    assert total < MAX_BYTES


def test_mandarin_voices_rates_and_every_noise() -> None:
    tags = [c.tags for c in MANIFEST.cases]
    assert {t["voice"].partition("+")[0] for t in tags} == {"cmn-latn-pinyin"}
    assert len({t["voice"] for t in tags}) >= 3
    assert len({t["rate"] for t in tags}) >= 3
    assert {t["noise"] for t in tags} == {"none", "engine", "road", "fan", "rain", "cabin"}


def test_the_manifest_is_what_the_source_describes() -> None:
    source = yaml.safe_load((SAMPLES / "cases.yaml").read_text(encoding="utf-8"))
    assert [c["id"] for c in source["cases"]] == [c.id for c in MANIFEST.cases]
    for spec, case in zip(source["cases"], MANIFEST.cases, strict=True):
        assert [t["say"] for t in spec["turns"]] == [t.transcript for t in case.turns]


@pytest.mark.espeak
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_regenerating_a_mixed_noisy_case_gives_the_committed_files(tmp_path: Path) -> None:
    recorded = yaml.safe_load((SAMPLES / "manifest.yaml").read_text(encoding="utf-8"))
    if recorded["generator"]["espeak_ng"] != espeak_version():
        pytest.skip("a different espeak-ng version renders speech differently")
    # A case with a Latin name in Chinese speech, under noise: runs, join and mixing all count.
    mixed = [
        c
        for c in MANIFEST.cases
        if c.tags["noise"] != "none"
        and any(ch.isascii() and ch.isalpha() for t in c.turns for ch in t.transcript)
    ]
    case = mixed[0].id
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts/make_audio_samples.py"),
            "--cases",
            str(SAMPLES / "cases.yaml"),
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
    assert made
    for path in made:
        assert path.read_bytes() == (SAMPLES / "wav" / case / path.name).read_bytes()
