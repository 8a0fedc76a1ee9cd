"""`drivetalk replay` as a release gate: limits, baseline regressions, progress, contacts, language.

Transcript mode throughout (no speech model needed); the manifest is the
small one of test_cli_replay (one case fails on purpose: intent accuracy
3 of 4 turns).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.assistant.replay.test_cli_replay import (
    SMALL,
    read_jsonl,
    replay,
    with_recordings,
)

BASE = ["--transcripts", "--no-tts"]


def rewrite(path: Path, **changes: Any) -> Path:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def gate_lines(err: str) -> list[str]:
    lines = err.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("drivetalk: gate failed"))
    return lines[start:]


# -- limits ----------------------------------------------------------------------


def test_a_failed_limit_exits_1_and_lists_what_failed(
    manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = replay(str(manifest), *BASE, "--min-accuracy", "0.9", "--max-latency-p95-ms", "600000")
    assert code == 1
    out, err = capsys.readouterr()
    assert gate_lines(err) == [
        "drivetalk: gate failed (1 of 2):",
        "  - intent_accuracy>=0.9: intent_accuracy 75.0% is under 90.0%",
    ]
    assert "gate latency_p95_ms<=600000: ok" in out
    assert "gate intent_accuracy>=0.9: FAILED" in out


def test_every_limit_met_exits_0(manifest: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--min-accuracy", "0.75", "--max-latency-p50-ms", "600000"]
    assert replay(str(manifest), *BASE, *args, "--max-latency-p99-ms", "600000") == 0
    assert "gate failed" not in capsys.readouterr().err


def test_a_latency_limit_names_the_latency_it_holds(
    manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No reply is produced in under a microsecond: this limit cannot be met.
    assert replay(str(manifest), *BASE, "--max-latency-p50-ms", "0.001") == 1
    (line,) = gate_lines(capsys.readouterr().err)[1:]
    assert line.startswith(
        "  - latency_p50_ms<=0.001: latency_p50_ms (end of speech -> reply text)"
    )
    assert line.endswith("ms is over 0 ms")


def test_the_manifest_gate_holds_unless_an_option_says_otherwise(
    manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rewrite(manifest, gate={"min_accuracy": 0.9, "fail_under": {"task_success": 1.0}})
    assert replay(str(manifest), *BASE) == 1
    assert "intent_accuracy 75.0% is under 90.0%" in capsys.readouterr().err
    assert replay(str(manifest), *BASE, "--min-accuracy", "0.7") == 0


def test_the_config_gate_holds_unless_the_manifest_says_otherwise(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.toml").write_text("[replay.gate]\nmin_accuracy = 0.9\n", encoding="utf-8")
    assert replay(str(manifest), *BASE) == 1
    assert "intent_accuracy>=0.9" in capsys.readouterr().err
    rewrite(manifest, gate={"min_accuracy": 0.5})
    assert replay(str(manifest), *BASE) == 0


def test_a_wer_limit_of_the_manifest_is_skipped_with_a_note_in_transcript_mode(
    manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rewrite(manifest, gate={"max_wer": 0.2})
    assert replay(str(manifest), *BASE, "--case", "out-of-domain") == 0
    assert "drivetalk: note: gate wer<=0.2 not applied" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-wer", "0.2"], "word accuracy (WER) is not measured with --transcripts"),
        (["--min-accuracy", "1.5"], "1.5 is not in the range 0<=x<=1"),
        (["--max-latency-p95-ms", "0"], "0.0 is not in the range x>0"),
        (["--max-wer", "lots"], "'lots' is not a valid float"),
    ],
)
def test_bad_limits_are_one_line_and_exit_2(
    manifest: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert replay(str(manifest), *BASE, *args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("drivetalk: error: ")
    assert message in err
    assert "\n" not in err


# -- progress --------------------------------------------------------------------


def test_progress_is_one_line_per_case_when_stderr_is_not_a_terminal(
    manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert replay(str(manifest), *BASE) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[")]
    assert [line.rsplit(" ", 1)[0] for line in lines] == [
        "[1/3] send-confirmed pass",
        "[2/3] out-of-domain pass",
        "[3/3] wrong-expectation FAIL",
    ]
    assert all(line.endswith("s") and float(line.rsplit(" ", 1)[1][:-1]) >= 0 for line in lines)


# -- baseline --------------------------------------------------------------------


def test_a_case_that_passed_in_the_baseline_and_fails_now_is_a_regression(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tmp_path / "before.jsonl"
    assert replay(str(manifest), *BASE, "--jsonl", str(before)) == 0
    data = json.loads(json.dumps(SMALL))
    data["cases"][1]["turns"][0]["intent"] = "help"  # out-of-domain now fails
    data["cases"][2]["turns"][0]["intent"] = "none"  # wrong-expectation now passes
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    after = tmp_path / "after.jsonl"
    capsys.readouterr()
    junit = tmp_path / "junit.xml"
    args = ["--baseline", str(before), "--jsonl", str(after), "--junit", str(junit)]
    assert replay(str(manifest), *BASE, *args) == 1
    out, err = capsys.readouterr()
    assert gate_lines(err) == [
        "drivetalk: gate failed (1 of 1):",
        "  - no regressions against the baseline: 1 case regressed: out-of-domain",
    ]
    assert "1 regressed, 1 fixed, 0 new" in out
    assert "passed before, fails now: turn 1: intent none (expected help)" in out
    summary = read_jsonl(after)[-1]
    assert summary["baseline"] == {
        "path": str(before),
        "regressions": [
            {
                "id": "out-of-domain",
                "reasons": ["passed before, fails now: turn 1: intent none (expected help)"],
            }
        ],
        "fixed": ["wrong-expectation"],
        "new": [],
    }
    gate = (
        ET.parse(junit)
        .getroot()
        .find("testsuite/testcase[@name='no regressions against the baseline']/failure")
    )
    assert gate is not None
    assert gate.get("message") == "1 case regressed: out-of-domain"


def test_the_same_run_against_its_own_results_has_no_regression(
    manifest: Path, tmp_path: Path
) -> None:
    before = tmp_path / "before.jsonl"
    assert replay(str(manifest), *BASE, "--jsonl", str(before)) == 0
    # A generous latency tolerance: the same cases on a shared machine.
    tolerance = ["--latency-tolerance-ms", "60000"]
    assert replay(str(manifest), *BASE, "--baseline", str(before), *tolerance) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no case results"),
        ('{"type": "summary"}\n', "holds no case results"),
        ('{"id": "a", "passed": true}\n{oops\n', ":2: not JSON"),
        ("[1, 2]", "neither replay JSONL nor an object with a 'cases' list"),
        ('{"type": "case", "id": "a"}\n', "a case line needs an 'id' and 'passed'"),
    ],
)
def test_a_bad_baseline_is_one_line_before_anything_is_replayed(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    baseline = tmp_path / "baseline.jsonl"
    baseline.write_text(text, encoding="utf-8")
    assert replay(str(manifest), *BASE, "--baseline", str(baseline)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"drivetalk: error: baseline {baseline}")
    assert message in err
    assert "[1/3]" not in err  # nothing was replayed


def test_a_missing_baseline(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert replay(str(manifest), *BASE, "--baseline", str(tmp_path / "nope.jsonl")) == 2
    assert "cannot read baseline" in capsys.readouterr().err


# -- the manifest's own contacts ----------------------------------------------------

PEOPLE = "id,name,department\nada,Ada Lovelace,Engineering\ngrace,Grace Hopper,Navy\n"
ADA = {
    "id": "ada",
    "turns": [
        {
            "transcript": "send a message to Ada Lovelace saying the engine works",
            "intent": "send_message",
            "slots": {"recipient": "ada", "body": "the engine works"},
        },
        {"transcript": "yes", "intent": "confirm"},
    ],
    "outcome": {"sent": [{"to": "ada", "body": "the engine works"}]},
}


def test_a_manifest_names_its_own_contacts_file(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (manifest.parent / "people" / "team.csv").parent.mkdir()
    (manifest.parent / "people" / "team.csv").write_text(PEOPLE, encoding="utf-8")
    out = tmp_path / "results.jsonl"
    rewrite(manifest, cases=[ADA], contacts="people/team.csv")
    assert replay(str(manifest), *BASE, "--jsonl", str(out)) == 0
    (case, _summary) = read_jsonl(out)
    assert case["turns"][0]["slots"]["recipient"]["name"] == "Ada Lovelace"
    assert case["outcome_ok"] is True
    # The demo organisation has no Ada: without the contacts file the case fails.
    rewrite(manifest, cases=[ADA], contacts=None)
    assert replay(str(manifest), *BASE, "--jsonl", str(out)) == 0
    assert read_jsonl(out)[0]["passed"] is False


def test_a_manifests_contacts_and_a_configured_backend_do_not_mix(
    manifest: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (manifest.parent / "team.csv").write_text(PEOPLE, encoding="utf-8")
    rewrite(manifest, contacts="team.csv")
    assert replay(str(manifest), *BASE, "--backend", "local") == 2
    err = capsys.readouterr().err
    assert "names its own contacts" in err
    assert "drop one of the two" in err


# -- the model's language ------------------------------------------------------------


def test_a_korean_model_is_refused_for_english_cases(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    korean = tmp_path / "vosk-model-small-ko-0.22"
    korean.mkdir()
    assert replay(str(with_recordings(manifest)), "--model", str(korean)) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"drivetalk: error: cannot replay the English (en) cases of {manifest}: speech model "
        f"{korean} hears Korean (ko), but locale en needs English (en): run `drivetalk model "
        "pull vosk-model-small-en-us-0.15` (or pass --model with a English model)"
    )


def test_an_english_model_is_refused_for_mandarin_cases(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    english = tmp_path / "vosk-model-small-en-us-0.15"
    english.mkdir()
    data = {
        **SMALL,
        "locale": "zh",
        "cases": [{"id": "zh-help", "turns": [{"transcript": "你能做什么", "intent": "help"}]}],
    }
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert replay(str(with_recordings(manifest)), "--model", str(english)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        f"drivetalk: error: cannot replay the Chinese (Mandarin) (zh) cases of {manifest}"
    )
    assert "hears English (en), but locale zh needs" in err
    assert "drivetalk model pull vosk-model-small-cn" in err


def test_a_report_that_cannot_be_written_stops_the_run_before_it_starts(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert replay(str(manifest), *BASE, "--html", str(tmp_path)) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"drivetalk: error: cannot write report {tmp_path}: is a directory"


def test_with_case_only_the_chosen_cases_need_recordings(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_recordings(manifest)
    (manifest.parent / "out-of-domain-1.wav").unlink()
    args = ["--model", str(tmp_path / "no-model"), "--case", "send-confirmed"]
    assert replay(str(manifest), *args) == 2
    assert "no speech model at" in capsys.readouterr().err  # got past the recordings
    assert replay(str(manifest), "--model", str(tmp_path / "no-model")) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"drivetalk: error: {manifest}: case 'out-of-domain', turn 1: audio file not found: "
        f"{manifest.parent / 'out-of-domain-1.wav'}"
    )
