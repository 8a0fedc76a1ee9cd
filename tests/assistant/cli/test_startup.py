"""Start-up loads only what a command needs (checked on sys.modules, not on a clock)."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from assistant.cli import COMMANDS, cli

HEAVY = (
    "numpy",
    "vosk",
    "soxr",
    "webrtcvad",
    "onnxruntime",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "rich",
    "pydantic",
    "yaml",
    "rapidfuzz",
    "intents",
    "connectors",
)


def loaded_after(code: str) -> set[str]:
    """Top-level modules loaded by a fresh interpreter after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


def test_importing_the_cli_loads_no_heavy_module() -> None:
    assert not loaded_after("import assistant.cli") & set(HEAVY)


def test_help_imports_no_subcommand() -> None:
    code = (
        "import sys\nfrom assistant.cli import main\n"
        "sys.stdout = open('/dev/null', 'w')\nmain(['--help'])\nsys.stdout = sys.__stdout__"
    )
    modules = subprocess.run(
        [sys.executable, "-c", code + "\nprint(sorted(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert not [m for _, (m, _) in COMMANDS.items() if f"'assistant.cli.{m}'" in modules]
    assert not loaded_after(code) & set(HEAVY)


def test_transcribe_of_model_format_audio_needs_no_numpy() -> None:
    # numpy, the VAD and the endpointer load only when audio is converted or --segments cut.
    loaded = loaded_after("import assistant.cli.transcribe")
    assert not loaded & {"numpy", "soxr", "webrtcvad", "onnxruntime", "fastapi", "httpx"}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_summary_in_help_is_the_commands_own(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    assert command.name == name
    assert command.get_short_help_str(limit=500) == COMMANDS[name][1]
