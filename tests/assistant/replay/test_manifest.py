"""Loading replay manifests: the formats, the clock, and a clear error for every bad file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from assistant.errors import InputFileError, ManifestError
from assistant.models import Intent
from assistant.replay.manifest import load_manifest

DATA = Path(__file__).parent / "data"
BAD = yaml.safe_load((DATA / "bad_manifests.yaml").read_text(encoding="utf-8"))


def write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_a_directory_is_read_through_its_manifest(tmp_path: Path) -> None:
    (tmp_path / "wav").mkdir()
    (tmp_path / "wav" / "a.wav").write_bytes(b"RIFF")
    write(
        tmp_path / "manifest.yaml",
        {
            "clock": {"now": "2026-11-23T08:00:00", "zone": "Asia/Shanghai"},
            "cases": [
                {
                    "id": "a",
                    "tags": {"snr": 10, "voice": "en-us"},
                    "turns": [
                        {
                            "audio": "wav/a.wav",
                            "transcript": "help",
                            "intent": "help",
                        }
                    ],
                    "outcome": {"sent": []},
                }
            ],
        },
    )
    manifest = load_manifest(tmp_path)
    assert manifest.path == tmp_path / "manifest.yaml"
    assert manifest.now == datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    (case,) = manifest.cases
    assert case.tags == {"snr": "10", "voice": "en-us"}
    assert case.outcome == {"sent": []}
    assert case.turns[0].intent is Intent.HELP
    assert case.turns[0].audio == tmp_path / "wav" / "a.wav"
    manifest.require_audio()  # present: no error


def test_jsonl_has_one_case_per_line_and_the_default_clock(tmp_path: Path) -> None:
    file = tmp_path / "cases.jsonl"
    file.write_text(
        '{"id": "a", "turns": [{"transcript": "help", "intent": "help"}]}\n\n'
        '{"id": "b", "turns": [{"transcript": "yes", "intent": "confirm"}]}\n',
        encoding="utf-8",
    )
    manifest = load_manifest(file)
    assert [c.id for c in manifest.cases] == ["a", "b"]
    assert manifest.now.isoformat() == "2026-11-23T08:00:00+08:00"


def test_unquoted_yaml_dates_are_kept_as_iso_text(tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").write_text(
        "cases:\n"
        "  - id: a\n"
        "    turns:\n"
        "      - transcript: what's on tomorrow\n"
        "        intent: query_calendar\n"
        "        slots: {start: 2026-11-24, end: 2026-11-25T00:00:00+08:00}\n"
        "    outcome: {created: [{start: 2026-11-24T10:00:00+08:00}]}\n",
        encoding="utf-8",
    )
    (case,) = load_manifest(tmp_path).cases
    assert case.turns[0].slots == {"start": "2026-11-24", "end": "2026-11-25T00:00:00+08:00"}
    assert case.outcome == {"created": [{"start": "2026-11-24T10:00:00+08:00"}]}


def test_missing_recordings_are_all_named(tmp_path: Path) -> None:
    write(
        tmp_path / "manifest.yaml",
        {
            "cases": [
                {"id": "a", "turns": [{"audio": "gone.wav", "transcript": "x", "intent": "help"}]},
                {"id": "b", "turns": [{"transcript": "y", "intent": "help"}]},
            ]
        },
    )
    manifest = load_manifest(tmp_path)  # transcripts need no recording
    with pytest.raises(ManifestError) as caught:
        manifest.require_audio()
    assert caught.value.lines == (
        f"{manifest.path}: case 'a', turn 1: audio file not found: {tmp_path / 'gone.wav'}",
        f"{manifest.path}: case 'b', turn 1: no 'audio' entry (replay it with --transcripts)",
    )
    with pytest.raises(ManifestError) as again:
        load_manifest(tmp_path, audio=True)
    assert again.value.lines == caught.value.lines


def test_every_problem_of_a_manifest_is_reported_at_once(tmp_path: Path) -> None:
    file = tmp_path / "manifest.yaml"
    file.write_text(
        "locale: fr\n"
        "contacts: people.csv\n"
        "cases:\n"
        "  - id: a\n"
        "    turns: [{transcript: hi, intent: fly, audio: a.wav}]\n"
        "  - id: b\n"
        "    turns:\n"
        "      - {transcript: tell li na hi, intent: send_message, slots: {who: li-na}}\n"
        "      - {transcript: 'yes', intent: confirm, speaker: bob}\n"
        "  - id: b\n"
        "    turns: [{transcript: help, intent: help}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ManifestError) as caught:
        load_manifest(file, audio=True)
    lines = caught.value.lines
    assert all(line.startswith(f"{file}: ") for line in lines)
    found = [line.removeprefix(f"{file}: ") for line in lines]
    assert [line.split(" (")[0] for line in found] == [
        "locale: unknown locale 'fr': DriveTalk speaks en",
        "case 'a', turn 1, intent: unknown intent 'fly'",
        f"case 'a', turn 1: audio file not found: {tmp_path / 'a.wav'}",
        "case 'b', turn 2: unknown key 'speaker'",
        "case 'b', turn 1, slots: 'who' is not a slot of send_message",
        "case 'b', turn 1: no 'audio' entry",
        "case 'b', turn 2: no 'audio' entry",
        "case 'b', turn 1: no 'audio' entry",
        "case id 'b' appears twice",
        f"contacts: file not found: {tmp_path / 'people.csv'}",
    ]
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("10 problems: ")


def test_slots_of_the_shipped_sets_are_all_in_the_contract() -> None:
    root = Path(__file__).parents[3] / "audio_samples"
    for path in (root, root / "zh"):
        assert load_manifest(path).cases  # no ManifestError: every slot is known


def test_a_directory_without_a_manifest(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no manifest in"):
        load_manifest(tmp_path)


def test_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="replay manifest not found"):
        load_manifest(tmp_path / "nope.yaml")


def test_an_unreadable_file(tmp_path: Path) -> None:
    file = tmp_path / "manifest.yaml"
    file.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputFileError, match=r"cannot read manifest .*: not UTF-8 text"):
        load_manifest(file)


@pytest.mark.parametrize("bad", BAD, ids=[b["name"] for b in BAD])
def test_bad_manifests_give_one_clear_line(tmp_path: Path, bad: dict[str, str]) -> None:
    file = tmp_path / bad.get("file", "manifest.yaml")
    file.write_text(bad["text"], encoding="utf-8")
    with pytest.raises(InputFileError) as caught:
        load_manifest(file)
    message = str(caught.value)
    assert bad["error"] in message
    assert str(file) in message
    assert "\n" not in message
