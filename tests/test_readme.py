"""The README's code and config examples work as written: extracted and run."""

from __future__ import annotations

import re
import subprocess
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.caldav.config import parse_config as caldav_config
from connectors.matrix.config import parse_config as matrix_config
from connectors.registry import ConnectorContext
from connectors.sdk import MessagingPort, OutgoingMessage, conform

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^( *)```(\w+)\n(.*?)^\1```", re.DOTALL | re.MULTILINE)
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def blocks(language: str) -> list[tuple[int, str]]:
    """(offset, dedented text) of every fenced block in ``language``."""
    found = []
    for match in BLOCK.finditer(README):
        if match.group(2) == language:
            indent = len(match.group(1))
            text = "".join(line[indent:] for line in match.group(3).splitlines(keepends=True))
            found.append((match.start(), text))
    return found


def block_after(marker: str, language: str) -> str:
    """The first ``language`` block after ``marker`` in the README."""
    at = README.index(marker)
    return next(text for offset, text in blocks(language) if offset > at)


def load(code: str, name: str) -> ModuleType:
    module = ModuleType(name)
    exec(compile(code, f"README.md:{name}", "exec"), module.__dict__)
    return module


@pytest.fixture
def memo(tmp_path: Path) -> Any:
    example = load(block_after("<!-- example: connector -->", "python"), "readme_memo")
    context = ConnectorContext(tmp_path, ZoneInfo("UTC"), now=lambda: NOW)
    return example.MemoConnector.from_config({}, context)


async def test_the_connector_example_conforms(memo: Any) -> None:
    report = await conform(memo, write=True, now=lambda: NOW)
    report.assert_ok()
    assert report.ports == ("messaging", "directory")
    assert isinstance(memo, MessagingPort)
    receipt = await memo.send(OutgoingMessage("k1", "u-tom", "Tom Berg", "running late"))
    assert receipt.conversation_id == "u-tom"


async def test_the_conformance_snippet_runs_as_a_test(memo: Any) -> None:
    snippet = block_after("The same kit runs in your", "python")
    await load(snippet, "readme_conform").test_memo_conforms(memo)


def test_the_backend_tables_are_accepted() -> None:
    text = block_after("Secrets are never", "toml")
    tables = tomllib.loads(text)["connectors"]
    matrix, _ = matrix_config(tables["matrix"], {"MATRIX_TOKEN": "t"})
    assert matrix.user_id == "@driver:example.com"
    caldav, _ = caldav_config(tables["caldav"], {"CALDAV_PASSWORD": "p"})
    assert caldav.calendar == "Work"


def test_the_tenant_toml_example_is_accepted(tmp_path: Path) -> None:
    from assistant.config import load_settings
    from assistant.server.tenants import backend_for

    (tmp_path / "tenant.toml").write_text(block_after("`tenant.toml` choosing", "toml"))
    choice = backend_for(load_settings(None, data_dir=tmp_path), tmp_path)
    assert choice.name == "matrix"
    config, credentials = matrix_config(choice.config, {"ACME_MATRIX_TOKEN": "secret-token"})
    assert config.homeserver == "https://matrix.acme.example"
    assert credentials.access_token is not None


TOP = {p.name for p in ROOT.iterdir()} - {".git", ".venv"}
PATHLIKE = re.compile(r"`(\.\./[^`\s]+|[\w.-]+/[\w./*-]*)`|\]\(([^)#\s]+)\)")


def test_the_readme_points_only_at_files_a_fresh_clone_has() -> None:
    tracked = set(
        subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    )
    missing = []
    for match in PATHLIKE.finditer(README):
        target = (match.group(1) or match.group(2)).rstrip("/")
        if target.startswith(("http://", "https://")):
            continue
        if target.startswith("../"):
            missing.append(target)
        elif target.split("/")[0] in TOP and "*" not in target:
            inside = target + "/"
            if target not in tracked and not any(t.startswith(inside) for t in tracked):
                missing.append(target)
    assert not missing, f"README names files a fresh clone lacks: {sorted(set(missing))}"


def test_no_section_appears_twice() -> None:
    headings = re.findall(r"^#{1,4} .+$", README, re.MULTILINE)
    assert len(headings) == len(set(headings)), sorted(h for h in headings if headings.count(h) > 1)


def test_the_config_file_example_loads(tmp_path: Path) -> None:
    from assistant.config import load_settings

    path = tmp_path / "config.toml"
    path.write_text(block_after("one table per backend; secrets are named", "toml"))
    settings = load_settings(path, data_dir=tmp_path)
    assert (settings.backend, settings.timezone, settings.tts.rate) == (
        "local",
        "Europe/Berlin",
        160,
    )


def test_every_port_method_is_documented_with_its_parameters() -> None:
    import inspect

    from connectors.conformance import PORTS
    from connectors.ports import Connector

    for port in (*PORTS.values(), Connector):
        for name, member in vars(port).items():
            if name.startswith("_") or not callable(member):
                continue
            parameters = list(inspect.signature(member).parameters)[1:]
            documented = re.search(rf"`{name}\(([^`]*)\)`", README)
            assert documented, f"{port.__name__}.{name} is not in the README's port table"
            for parameter in parameters:
                assert parameter in documented.group(1), f"{name}: {parameter} undocumented"


async def test_the_directory_example_composes_a_file_with_the_webhook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.backend import build_backend
    from assistant.config import load_settings
    from assistant.directory_file import FileDirectory
    from assistant.directory_source import build_directory

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ACME_WEBHOOK_SECRET", "acme-secret-0123456789")
    (tmp_path / "people.csv").write_text("id,name\nemp-1042,Li Na\n", encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(block_after("`[directory]` names where", "toml"))
    settings = load_settings(path, data_dir=tmp_path)
    backend = build_backend(settings)
    try:
        directory = build_directory(settings, backend)
        assert (backend.name, type(directory.port)) == ("webhook", FileDirectory)
        assert [c.id for c in await directory.contacts()] == ["emp-1042"]
    finally:
        await backend.aclose()
