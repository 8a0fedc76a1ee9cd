"""Bad input on the command line: one ``drivetalk: error:`` line naming where, never a traceback.

The cases are data (``data/bad_input.yaml``); each runs the real CLI in a
fresh interpreter with a clean configuration directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "bad_input.yaml").read_text(encoding="utf-8")
)["cases"]


def run_cli(
    args: list[str], env: dict[str, str], home: Path, stdin: str = "hello\n"
) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, with no config file and no DRIVETALK_* variables but ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DRIVETALK_")}
    clean.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "cfg"), **env)
    clean["DRIVETALK_DATA_DIR"] = str(home / "data")
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=clean,
    )


def write_files(folder: Path, files: dict[str, Any]) -> None:
    for name, content in files.items():
        if isinstance(content, dict):
            (folder / name).write_bytes(bytes.fromhex(content["bytes_hex"]))
        else:
            # {dir} in a text file (a config naming another file) is the case's folder too.
            text = content.replace("{dir}", str(folder))
            (folder / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_is_one_clear_error_line(case: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_files(folder, case.get("files", {}))
    args = [a.format(dir=folder) for a in case["args"]]
    env = {k: v.format(dir=folder) for k, v in case.get("env", {}).items()}
    done = run_cli(args, env, tmp_path)
    lines = done.stderr.splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("drivetalk: error: "), done.stderr
    for expected in case["expect"]:
        assert expected in lines[0]
    for absent in case.get("absent", []):
        assert absent not in lines[0]


def test_a_contacts_csv_with_a_byte_order_mark_simply_works(tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_bytes("id,name,department\nlw,Li Wei,Sales\n".encode("utf-8-sig"))
    done = run_cli(
        ["parse", "--contacts", str(contacts), "--now", "2026-11-23T08:00:00+08:00"],
        {},
        tmp_path,
        stdin="send a message to li wei saying hi\n",
    )
    assert done.returncode == 0, done.stderr
    assert '"id": "lw"' in done.stdout
