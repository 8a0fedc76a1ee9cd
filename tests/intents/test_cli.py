"""``drivetalk parse`` and ``drivetalk nlu-eval`` end to end, through a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

NOW = "2026-11-23T08:00:00+08:00"
CONTACTS = [
    {"id": "lw-sales", "name": "Li Wei", "department": "Sales"},
    {"id": "lw-fin", "name": "Li Wei", "department": "Finance"},
    {"id": "zs", "name": "Zhang San", "aliases": ["Sam"]},
    {"id": "apollo", "name": "Project Apollo", "kind": "group"},
]


def drivetalk(
    *args: str, stdin: str = "", env_home: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter, like a user would."""
    env = None
    if env_home is not None:
        import os

        env = {**os.environ, "HOME": str(env_home), "XDG_CONFIG_HOME": str(env_home / "cfg")}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


@pytest.fixture
def contacts_json(tmp_path: Path) -> Path:
    path = tmp_path / "contacts.json"
    path.write_text(json.dumps(CONTACTS), encoding="utf-8")
    return path


def lines_of(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_parse_prints_one_json_object_per_input_line_in_order(contacts_json: Path) -> None:
    stdin = "text jang san i'm late\n\nwhat's on my calendar tomorrow\nplay some jazz\n"
    out = lines_of(
        drivetalk(
            "parse",
            "--now",
            NOW,
            "--tz",
            "Asia/Shanghai",
            "--contacts",
            str(contacts_json),
            stdin=stdin,
        )
    )
    assert [o["intent"] for o in out] == ["send_message", "none", "query_calendar", "none"]
    assert [o["text"] for o in out] == stdin.splitlines()
    assert set(out[0]) == {"text", "intent", "confidence", "slots"}
    assert out[0]["slots"]["recipient"]["id"] == "zs"
    assert out[0]["slots"]["body"] == "i'm late"
    assert out[2]["slots"] == {
        "start": "2026-11-24T00:00:00+08:00",
        "end": "2026-11-25T00:00:00+08:00",
    }


def test_parse_reports_ambiguous_names_with_ranked_candidates(contacts_json: Path) -> None:
    out = lines_of(
        drivetalk("parse", "--now", NOW, "--contacts", str(contacts_json), stdin="tell li wei hi\n")
    )
    recipient = out[0]["slots"]["recipient"]
    assert recipient["ambiguous"] is True
    assert recipient["id"] is None
    assert {c["id"] for c in recipient["candidates"][:2]} == {"lw-sales", "lw-fin"}


def test_parse_reads_a_csv_directory(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "id,name,kind,department,aliases\nw1,Wang Fang,person,Marketing,Fang;Fanny\n",
        encoding="utf-8",
    )
    out = lines_of(
        drivetalk("parse", "--now", NOW, "--contacts", str(path), stdin="message fanny hello\n")
    )
    assert out[0]["slots"]["recipient"]["id"] == "w1"


def test_parse_finds_a_name_in_characters_by_its_pinyin(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "id,name,name_zh,department\nzs,张三,,Operations\nwf,Wang Fang,王芳,HR\n",
        encoding="utf-8",
    )
    out = lines_of(
        drivetalk("parse", "--now", NOW, "--contacts", str(path), stdin="text zhang san hello\n")
    )
    assert out[0]["slots"]["recipient"]["id"] == "zs"
    assert out[0]["slots"]["recipient"]["ambiguous"] is False


def test_parse_uses_the_local_store_with_data_dir(tmp_path: Path) -> None:
    out = lines_of(
        drivetalk(
            "parse",
            "--now",
            NOW,
            "--data-dir",
            str(tmp_path / "data"),
            stdin="text zhang san i'm late\n",
        )
    )
    assert out[0]["intent"] == "send_message"
    assert out[0]["slots"]["recipient"]["name"] == "Zhang San"


def test_parse_handles_thousands_of_lines_in_one_process(contacts_json: Path) -> None:
    stdin = "".join(f"tell zhang san {i} minutes late\n" for i in range(2000))
    out = lines_of(drivetalk("parse", "--now", NOW, "--contacts", str(contacts_json), stdin=stdin))
    assert len(out) == 2000
    assert all(o["intent"] == "send_message" for o in out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--now", "yesterday-ish"], "ISO 8601"),
        (["--tz", "Mars/Olympus"], "unknown time zone"),
        (["--contacts", "{missing}"], "cannot read contacts file"),
        (["--contacts", "{bad_json}"], "not valid JSON"),
        (["--contacts", "{not_list}"], "JSON list of objects"),
        (["--contacts", "{no_name}"], "needs an id and a name"),
        (["--contacts", "{bad_csv}"], "header"),
        (["--contacts", "{bad_kind}"], "unknown kind"),
        (["--contacts", "{bad_zh}"], "name_zh must be written in Chinese characters"),
    ],
)
def test_parse_rejects_bad_input_with_one_clear_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    files = {
        "missing": tmp_path / "nope.json",
        "bad_json": tmp_path / "bad.json",
        "not_list": tmp_path / "obj.json",
        "no_name": tmp_path / "noname.json",
        "bad_csv": tmp_path / "bad.csv",
        "bad_kind": tmp_path / "kind.json",
        "bad_zh": tmp_path / "zh.csv",
    }
    files["bad_json"].write_text("[{", encoding="utf-8")
    files["not_list"].write_text('{"id": "x"}', encoding="utf-8")
    files["no_name"].write_text('[{"id": "x"}]', encoding="utf-8")
    files["bad_csv"].write_text("who,what\nx,y\n", encoding="utf-8")
    files["bad_kind"].write_text('[{"id": "x", "name": "X", "kind": "robot"}]', encoding="utf-8")
    files["bad_zh"].write_text("id,name,name_zh\nx,Li Wei,Li Wei\n", encoding="utf-8")
    filled = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    if "--contacts" not in filled:
        filled += ["--contacts", str(tmp_path / "ok.json")]
        (tmp_path / "ok.json").write_text("[]", encoding="utf-8")
    result = drivetalk("parse", *filled, stdin="hello\n")
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


SLURP_LINES = [
    {
        "slurp_id": 2,
        "sentence": "send an email to my boss saying i am late",
        "intent": "email_sendemail",
    },
    {"slurp_id": 4, "sentence": "what is on my calendar tomorrow", "intent": "calendar_query"},
    {"slurp_id": 6, "sentence": "set an alarm for six am", "intent": "alarm_set"},
    {"slurp_id": 7, "sentence": "delete my meeting on friday", "intent": "calendar_remove"},
    {"slurp_id": 9, "sentence": "add this email to contacts", "intent": "email_addcontact"},
    {"slurp_id": 11, "sentence": "what is the weather today", "intent": "weather_query"},
]


def test_nlu_eval_reports_accuracy_false_actions_and_confusions(tmp_path: Path) -> None:
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in SLURP_LINES) + "\n", encoding="utf-8")
    result = drivetalk("nlu-eval", str(path), "--json", "--now", NOW)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["in_domain"] == {"total": 3, "accuracy": 1.0}
    assert report["out_of_domain"]["total"] == 2
    assert report["out_of_domain"]["false_actions"] == 0
    assert report["excluded"] == 1
    even = json.loads(
        drivetalk("nlu-eval", str(path), "--json", "--half", "even", "--now", NOW).stdout
    )
    assert even["in_domain"]["total"] == 2
    table = drivetalk("nlu-eval", str(path), "--now", NOW)
    assert "in-domain" in table.stdout
    assert "false actions" in table.stdout


#: Said in a way the grammar lacks; the arbiter takes it (tests/intents/data/arbiter.yaml).
MISSED = {
    "slurp_id": 1,
    "sentence": "catch me up on what the apollo group said",
    "intent": "email_query",
}


def test_nlu_eval_compares_the_grammar_alone_with_the_arbiter(tmp_path: Path) -> None:
    path = tmp_path / "missed.jsonl"
    path.write_text(json.dumps(MISSED) + "\n", encoding="utf-8")
    both = json.loads(drivetalk("nlu-eval", str(path), "--compare", "--json", "--now", NOW).stdout)
    assert both["grammar"]["in_domain"]["accuracy"] == 0.0
    assert both["arbiter"]["in_domain"]["accuracy"] == 1.0
    alone = json.loads(drivetalk("nlu-eval", str(path), "--no-arbiter", "--json").stdout)
    assert alone["in_domain"]["accuracy"] == 0.0
    config = tmp_path / "config.toml"
    config.write_text("[nlu]\narbiter = false\n", encoding="utf-8")
    off = drivetalk("--config", str(config), "nlu-eval", str(path), "--json")
    assert json.loads(off.stdout)["in_domain"]["accuracy"] == 0.0, off.stderr
    table = drivetalk("nlu-eval", str(path), "--compare").stdout
    assert "# grammar" in table
    assert "# arbiter" in table


@pytest.mark.parametrize("content", ["{not json\n", '{"sentence": "x"}\n'])
def test_nlu_eval_rejects_a_malformed_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    result = drivetalk("nlu-eval", str(path))
    assert result.returncode != 0
    assert "not a SLURP record" in result.stderr
    assert "Traceback" not in result.stderr


def test_nlu_eval_missing_file_is_one_line(tmp_path: Path) -> None:
    result = drivetalk("nlu-eval", str(tmp_path / "missing.jsonl"))
    assert result.returncode != 0
    assert "cannot read" in result.stderr
    assert "Traceback" not in result.stderr


ZH_CONTACTS = [
    {"id": "li-na", "name": "Li Na", "aliases": ["李娜"]},
    {"id": "zs", "name": "Zhang San", "aliases": ["张三"]},
]
ZH_LINES = [
    {"slurp_id": 1, "sentence": "给张三发消息说我晚点到", "intent": "email_sendemail"},
    {"slurp_id": 2, "sentence": "明天下午三点提醒我开会", "intent": "calendar_set"},
    {"slurp_id": 3, "sentence": "打电话给李娜", "intent": "phone_call"},
    {"slurp_id": 4, "sentence": "导航到公司", "intent": "navigation"},
]


def test_parse_understands_mandarin_with_locale_zh(tmp_path: Path) -> None:
    path = tmp_path / "contacts.json"
    path.write_text(json.dumps(ZH_CONTACTS, ensure_ascii=False), encoding="utf-8")
    stdin = "给张三发消息说我晚点到\n明天下午三点半跟李娜开会\n"
    result = drivetalk(
        "parse", "--locale", "zh", "--contacts", str(path), "--now", NOW, stdin=stdin
    )
    send, meeting = lines_of(result)
    assert send["intent"] == "send_message"
    assert send["slots"]["recipient"]["id"] == "zs"
    assert send["slots"]["body"] == "我晚点到"
    assert meeting["intent"] == "create_event"
    assert meeting["slots"]["start"] == "2026-11-24T15:30:00+08:00"
    assert meeting["slots"]["attendees"][0]["id"] == "li-na"


@pytest.mark.parametrize("command", ["parse", "nlu-eval"])
def test_an_unknown_locale_is_one_clear_line(tmp_path: Path, command: str) -> None:
    path = tmp_path / "any.jsonl"
    path.write_text(json.dumps(ZH_LINES[0], ensure_ascii=False) + "\n", encoding="utf-8")
    args = ["parse"] if command == "parse" else ["nlu-eval", str(path)]
    result = drivetalk(*args, "--locale", "fr", stdin="hello\n")
    assert result.returncode != 0
    assert result.stderr.strip() == "drivetalk: error: unknown locale 'fr' (supported: en, zh)"


def test_nlu_eval_scores_a_chinese_set_with_locale_zh(tmp_path: Path) -> None:
    path = tmp_path / "zh.jsonl"
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in ZH_LINES) + "\n", encoding="utf-8"
    )
    result = drivetalk("nlu-eval", str(path), "--locale", "zh", "--json", "--now", NOW)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["in_domain"] == {"total": 2, "accuracy": 1.0}
    assert report["out_of_domain"] == {"total": 2, "false_actions": 0, "false_action_rate": 0.0}
    english = json.loads(drivetalk("nlu-eval", str(path), "--json", "--now", NOW).stdout)
    assert english["in_domain"]["accuracy"] == 0.0


def test_parse_without_contacts_uses_the_configured_directory_file(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("id,name,department\nemp-1042,Li Na,Sales\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(f'[directory]\npath = "{people}"\n', encoding="utf-8")
    out = lines_of(
        drivetalk("--config", str(config), "parse", "--now", NOW, stdin="text li na i'm late\n")
    )
    assert out[0]["slots"]["recipient"]["id"] == "emp-1042"


def test_parse_without_contacts_uses_the_configured_directory_connector(tmp_path: Path) -> None:
    from assistant.models import Contact
    from connectors.local import LocalStore

    names = tmp_path / "names"
    store = LocalStore.open(names)
    try:
        store.add_contact(Contact("emp-9", "Xu Ming", department="Logistics"))
    finally:
        store.close()
    config = tmp_path / "config.toml"
    config.write_text(
        f'backend = "caldav"\n[directory]\nconnector = "local"\n'
        f'[connectors.local]\ndata_dir = "{names}"\n',
        encoding="utf-8",
    )
    out = lines_of(
        drivetalk(
            *("--config", str(config), "parse", "--now", NOW, "--data-dir", str(tmp_path / "d")),
            stdin="text xu ming i'm late\n",
        )
    )
    assert out[0]["slots"]["recipient"]["id"] == "emp-9"
