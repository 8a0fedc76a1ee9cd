"""`drivetalk replay` in transcript mode: reports, JUnit XML, thresholds and bad input."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from assistant.cli import main
from assistant.replay.synth import wav_bytes
from connectors.local import LocalStore

SMALL = {
    "version": 1,
    "clock": {"now": "2026-11-23T08:00:00", "zone": "Asia/Shanghai"},
    "cases": [
        {
            "id": "send-confirmed",
            "tags": {"flow": "send", "noise": "none"},
            "turns": [
                {
                    "transcript": "send a message to Zhang San saying I'll be late",
                    "intent": "send_message",
                    "slots": {"recipient": "u-zhang-san", "body": "I'll be late"},
                },
                {"transcript": "yes", "intent": "confirm"},
            ],
            "outcome": {"sent": [{"to": "Zhang San", "body": "I'll be late"}]},
        },
        {
            "id": "out-of-domain",
            "tags": {"flow": "none", "noise": "engine"},
            "turns": [{"transcript": "play some jazz music", "intent": "none"}],
            "outcome": {"sent": [], "created": [], "cancelled": []},
        },
        {
            # Deliberately wrong expectation: the harness must report it.
            "id": "wrong-expectation",
            "tags": {"flow": "send", "noise": "none"},
            "turns": [{"transcript": "play some jazz music", "intent": "send_message"}],
        },
    ],
}


def replay(*args: str) -> int:
    return main(["replay", *args])


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_transcript_mode_reports_every_case_and_the_summary(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "results.jsonl"
    assert replay(str(manifest.parent), "--transcripts", "--no-tts", "--jsonl", str(out)) == 0
    printed = capsys.readouterr().out
    assert "transcript mode" in printed
    assert "wrong-expectation" in printed
    assert "intent send_message" not in printed  # the problem is the other way round
    assert "intent none (expected send_message)" in printed
    *cases, summary = read_jsonl(out)
    assert [c["id"] for c in cases] == ["send-confirmed", "out-of-domain", "wrong-expectation"]
    assert [c["passed"] for c in cases] == [True, True, False]
    sent = cases[0]["turns"]
    assert sent[0]["slots"]["recipient"]["id"] == "u-zhang-san"
    assert "Zhang San" in sent[0]["reply"]
    assert sent[0]["wer"] is None  # nothing was heard from audio
    assert sent[0]["reply_text_ms"] is not None
    assert sent[0]["reply_audio_ms"] is None  # --no-tts
    assert cases[0]["outcome_ok"] is True
    assert summary["type"] == "summary"
    assert summary["cases"] == 3
    assert summary["turns"] == 4
    assert summary["intent_accuracy"] == 0.75
    assert summary["task_success"] == 1.0
    assert summary["case_pass_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert set(summary["by_tag"]["noise"]) == {"none", "engine"}


def test_junit_xml_has_a_testcase_per_case_and_threshold(manifest: Path, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    code = replay(
        str(manifest),
        "--transcripts",
        "--no-tts",
        "--junit",
        str(junit),
        "--fail-under",
        "intent_accuracy=0.5",
        "--fail-under",
        "case_pass_rate=90%",
    )
    assert code == 1  # case_pass_rate is 2/3
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    errors = [c for c in cases if c.find("error") is not None]
    assert int(suite.get("tests", "")) == len(cases) == 5
    assert int(suite.get("failures", "")) == len(failures) == 2
    assert int(suite.get("errors", "")) == len(errors) == 0
    assert suite.get("skipped") == "0"
    for element in (root, suite):
        assert element.get("tests") == "5"
        assert float(element.get("time", "")) >= 0
    assert {c.get("name") for c in failures} == {"wrong-expectation", "case_pass_rate >= 0.9"}
    names = [(c.get("classname"), c.get("name")) for c in cases]
    assert names[:3] == [
        ("replay.send", "send-confirmed"),
        ("replay.none", "out-of-domain"),
        ("replay.send", "wrong-expectation"),
    ]
    assert ("replay.thresholds", "intent_accuracy >= 0.5") in names
    for case in cases:
        assert float(case.get("time", "")) >= 0
        failure = case.find("failure")
        if failure is not None:
            assert failure.get("message")
            assert failure.text
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["intent_accuracy"] == "0.75"
    # The element order a JUnit schema requires: properties first, then test cases.
    assert next(child.tag for child in suite) == "properties"
    assert all(child.tag == "testcase" for child in list(suite)[1:])


def test_thresholds_met_exit_zero(manifest: Path) -> None:
    args = [
        "--transcripts",
        "--no-tts",
        "--fail-under",
        "task_success=1",
        "--case",
        "out-of-domain",
    ]
    assert replay(str(manifest), *args) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-under", "speed=1"], "unknown metric 'speed'"),
        (["--fail-under", "word_accuracy=0.9"], "not measured with --transcripts"),
        (["--case", "nope"], "no case 'nope'"),
    ],
)
def test_bad_options_give_one_line_and_exit_2(
    manifest: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert replay(str(manifest), "--transcripts", "--no-tts", *args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("drivetalk: error: ")
    assert message in err
    assert "\n" not in err


def test_a_bad_manifest_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "manifest.yaml"
    bad.write_text("cases:\n  - id: a\n    turns: [{transcript: hi, intent: fly}]\n")
    assert replay(str(tmp_path), "--transcripts") == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"drivetalk: error: {bad}: case 'a', turn 1, intent: unknown intent 'fly' "
        "(one of send_message, reply_message, read_messages, query_contact, create_event, "
        "query_calendar, cancel_event, confirm, deny, cancel, repeat, next, help, none)"
    )


def with_recordings(manifest: Path) -> Path:
    """The small manifest with a (silent) recording for every turn."""
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    for case in data["cases"]:
        for number, turn in enumerate(case["turns"], start=1):
            name = f"{case['id']}-{number}.wav"
            (manifest.parent / name).write_bytes(wav_bytes(np.zeros(8000, np.float32)))
            turn["audio"] = name
    manifest.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return manifest


def test_audio_mode_without_a_model_says_how_to_get_one(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert replay(str(with_recordings(manifest)), "--model", str(tmp_path / "no-model")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        f"drivetalk: error: cannot replay the English (en) cases of {manifest}: no speech model at "
    )
    assert "drivetalk model pull" in err
    assert "\n" not in err


def test_audio_mode_names_every_missing_recording_before_loading_a_model(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert replay(str(manifest), "--model", str(tmp_path / "no-model")) == 2
    err = capsys.readouterr().err.strip()
    missing = "no 'audio' entry (replay it with --transcripts)"
    assert err.splitlines() == [
        f"drivetalk: error: {manifest}: case 'send-confirmed', turn 1: {missing}",
        f"drivetalk: error: {manifest}: case 'send-confirmed', turn 2: {missing}",
        f"drivetalk: error: {manifest}: case 'out-of-domain', turn 1: {missing}",
        f"drivetalk: error: {manifest}: case 'wrong-expectation', turn 1: {missing}",
    ]


def test_a_configured_backend_keeps_its_state_across_cases(
    manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "store"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[connectors.local]\ndata_dir = "{data}"\nseed_demo = true\n', encoding="utf-8"
    )
    monkeypatch.setenv("DRIVETALK_CONFIG", str(config))
    out = tmp_path / "results.jsonl"
    args = ["--transcripts", "--no-tts", "--backend", "local", "--jsonl", str(out)]
    assert replay(str(manifest), *args, "--case", "send-confirmed") == 0
    assert read_jsonl(out)[0]["passed"] is True
    assert (data / "drivetalk.sqlite3").exists()  # the configured store, not a temporary one
    store = LocalStore.open(data)
    try:
        chat = store.messages(conversation_id=store.direct_conversation_id("u-zhang-san"))
        mine = [m for m in chat if m.sender_id == store.me.id and m.body == "I'll be late"]
    finally:
        store.close()
    assert len(mine) == 1


def test_an_unknown_backend(manifest: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert replay(str(manifest), "--transcripts", "--no-tts", "--backend", "carrier-pigeon") == 2
    assert "unknown backend 'carrier-pigeon'" in capsys.readouterr().err


def test_drivetalk_model_environment_variable_is_the_model(
    manifest: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DRIVETALK_MODEL", str(tmp_path / "env-model"))
    assert replay(str(with_recordings(manifest))) == 2
    err = capsys.readouterr().err
    assert f"no speech model at {tmp_path / 'env-model'} (from DRIVETALK_MODEL)" in err


def test_an_unwritable_report_is_one_line(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    args = ["--transcripts", "--no-tts", "--case", "out-of-domain"]
    assert replay(str(manifest), *args, "--junit", str(blocker / "junit.xml")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"drivetalk: error: cannot write report {blocker / 'junit.xml'}")


def test_without_a_path_the_checkouts_sample_set_is_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not the checkout: found through the package's location
    out = tmp_path / "results.jsonl"
    args = ["--transcripts", "--no-tts", "--case", "send-tell", "--jsonl", str(out)]
    assert replay(*args) == 0
    assert [line["id"] for line in read_jsonl(out) if line["type"] == "case"] == ["send-tell"]


MIXED = {
    "version": 1,
    "locale": "zh",
    "clock": {"now": "2026-11-23T08:00:00", "zone": "Asia/Shanghai"},
    "cases": [
        {
            "id": "zh-send",
            "turns": [
                {
                    "transcript": "给张三发消息说我晚点到",
                    "intent": "send_message",
                    "slots": {"recipient": "u-zhang-san", "body": "我晚点到"},
                },
                {"transcript": "是的", "intent": "confirm"},
            ],
            # In Chinese a colleague is named in characters.
            "outcome": {"sent": [{"to": "张三", "body": "我晚点到"}]},
        },
        {
            "id": "en-send",
            "locale": "en",
            "turns": [
                {
                    "transcript": "send a message to Zhang San saying I'll be late",
                    "intent": "send_message",
                    "slots": {"recipient": "u-zhang-san", "body": "I'll be late"},
                },
                {"transcript": "yes", "intent": "confirm"},
            ],
            "outcome": {"sent": [{"to": "Zhang San", "body": "I'll be late"}]},
        },
    ],
}


def test_each_case_is_replayed_in_its_locale(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest.write_text(yaml.safe_dump(MIXED, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "results.jsonl"
    assert replay(str(manifest), "--transcripts", "--no-tts", "--jsonl", str(out)) == 0
    assert "locale en, zh" in capsys.readouterr().out
    cases = {row["id"]: row for row in read_jsonl(out) if "id" in row}
    zh_replies = [turn["reply"] for turn in cases["zh-send"]["turns"]]
    assert zh_replies == ["发给张三：我晚点到。发送吗？", "已发给张三。"]
    en_replies = [turn["reply"] for turn in cases["en-send"]["turns"]]
    assert en_replies == [
        "Here's your message to Zhang San: I'll be late. Send it?",
        "Sent to Zhang San.",
    ]
    assert all(row["passed"] for row in cases.values())


def test_a_configured_backend_without_a_directory_says_what_to_set(
    manifest: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[connectors.webhook]\nurl = "https://chat.acme.example/hook"\nsecret_env = "HOOK"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("DRIVETALK_CONFIG", str(config))
    monkeypatch.setenv("HOOK", "replay-secret-0123456789")
    assert replay(str(manifest), "--transcripts", "--no-tts", "--backend", "webhook") == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "drivetalk: error: backend 'webhook' has no directory, so names cannot be looked up:"
        " set [directory] path (a contacts file) or [directory] connector"
    )
