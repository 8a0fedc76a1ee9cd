"""``[directory]``: where names are looked up, composed with whatever backend delivers."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import DirectorySettings, load_settings
from assistant.directory_file import FileDirectory
from assistant.directory_source import (
    build_directory,
    check_directory,
    directory_table,
    missing_directory,
)
from assistant.errors import ConfigError
from connectors.local import LocalConnector
from connectors.local.demo import open_demo_store
from tests.conftest import NOW, ZONE

PEOPLE = "id,name,kind,department,aliases\n" + "\n".join(
    f"emp-{n},Person {n},person,Sales,P{n}" for n in range(1, 8)
)


def people(folder: Path) -> Path:
    path = folder / "people.csv"
    path.write_text(PEOPLE + "\ngrp-ops,Operations,group,,\n", encoding="utf-8")
    return path


def local_connector(folder: Path) -> LocalConnector:
    return LocalConnector(open_demo_store(folder, NOW, ZONE), now=lambda: NOW)


async def test_a_path_gives_the_file_whatever_the_backend(tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=tmp_path, directory={"path": people(tmp_path)})
    backend = local_connector(tmp_path / "store")
    try:
        directory = build_directory(settings, backend)
        assert directory.configured
        assert isinstance(directory.port, FileDirectory)
        assert len(await directory.contacts()) == 8
    finally:
        await backend.aclose()


async def test_a_relative_path_is_taken_from_the_base_directory(tmp_path: Path) -> None:
    people(tmp_path)
    settings = load_settings(None, data_dir=tmp_path)
    directory = build_directory(
        settings, object(), choice=DirectorySettings(path=Path("people.csv")), base_dir=tmp_path
    )
    assert directory.origin == f"the file {tmp_path / 'people.csv'}"


async def test_without_a_table_the_backends_own_directory_is_used(tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=tmp_path)
    backend = local_connector(tmp_path)
    try:
        directory = build_directory(settings, backend)
        assert directory.port is backend
        assert directory.owned is None  # the backend is closed by its owner, not twice
    finally:
        await backend.aclose()


async def test_a_backend_without_a_directory_leaves_none_and_says_so(tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=tmp_path, backend="caldav")
    directory = build_directory(settings, object())
    assert not directory.configured
    assert await directory.contacts() == []
    assert check_directory(settings) == missing_directory("caldav")
    assert "has no directory" in missing_directory("caldav")


async def test_another_connector_is_built_from_its_own_table_and_closed_with_the_directory(
    tmp_path: Path,
) -> None:
    seeded = open_demo_store(tmp_path / "names", NOW, ZONE)
    seeded.close()
    settings = load_settings(
        None,
        data_dir=tmp_path / "unused",
        backend="caldav",
        directory={"connector": "local"},
        connectors={"local": {"data_dir": str(tmp_path / "names")}},
    )
    directory = build_directory(settings, object())
    assert isinstance(directory.owned, LocalConnector)
    assert directory.owned.store.path.parent == tmp_path / "names"
    assert any(c.name == "Li Na" for c in await directory.contacts())
    await directory.aclose()
    assert check_directory(settings) is None


async def test_naming_the_backend_itself_reuses_it(tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=tmp_path, directory={"connector": "local"})
    backend = local_connector(tmp_path)
    try:
        directory = build_directory(settings, backend)
        assert directory.port is backend
        assert directory.owned is None
    finally:
        await backend.aclose()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"connector": "carrier-pigeon"}, "connector 'carrier-pigeon' is not installed"),
        ({"connector": "webhook"}, "connector 'webhook' has no directory (its ports: messaging)"),
        ({"connector": "caldav"}, "connector 'caldav' has no directory (its ports: calendar)"),
    ],
)
def test_a_connector_that_cannot_give_names_is_one_clear_error(
    tmp_path: Path, table: dict[str, str], message: str
) -> None:
    settings = load_settings(None, data_dir=tmp_path, directory=table)
    with pytest.raises(ConfigError, match=r"^\[directory\] ") as raised:
        build_directory(settings, object())
    assert message in str(raised.value)
    with pytest.raises(ConfigError):
        check_directory(settings)


def test_the_webhook_backend_named_as_its_own_directory_is_refused(tmp_path: Path) -> None:
    class Webhook:
        name = "webhook"

    settings = load_settings(None, data_dir=tmp_path, directory={"connector": "webhook"})
    with pytest.raises(ConfigError, match="'webhook' has no directory"):
        build_directory(settings, Webhook())


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"path": "a.csv", "connector": "local"}, "either directory.path or directory.connector"),
        ({"paths": "a.csv"}, "unknown key directory.paths"),
        ({"connector": ""}, "directory.connector"),
        ("people.csv", "[directory] must be a table"),
    ],
)
def test_a_bad_tenant_directory_table_names_the_file_and_the_key(
    table: object, message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        directory_table(table, "tenants/acme/tenant.toml")
    assert str(raised.value).startswith("tenants/acme/tenant.toml: ")
    assert message in str(raised.value)


def test_both_keys_in_the_settings_file_are_refused_with_where(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[directory]\npath = "people.csv"\nconnector = "local"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="not both") as raised:
        load_settings(config)
    assert f"{config}:" in str(raised.value)


def test_the_environment_sets_the_directory_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRIVETALK_DIRECTORY__PATH", str(people(tmp_path)))
    settings = load_settings(None, data_dir=tmp_path)
    assert settings.directory.path == tmp_path / "people.csv"
    assert build_directory(settings, object()).configured


async def test_a_restored_server_dialog_keeps_the_tenants_directory_as_it_is_now(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    from assistant.dialog import snapshot as snapshots
    from assistant.dialog.runner import AnswerWindow, DialogRunner
    from assistant.dialog.state import DialogState, Policy
    from assistant.server.assembly import DialogConversation
    from connectors.outbox import Outbox
    from intents.parser import Parser
    from intents.result import ParseContext

    outbox = Outbox.open(tmp_path / "outbox.sqlite3")
    try:
        runner = DialogRunner(
            connector=object(),
            outbox=outbox,
            parser=Parser.from_contacts([], "en"),
            clock=lambda: NOW,
            state=DialogState(policy=Policy(directory=False)),
        )
        conversation = DialogConversation(runner)
        # Saved while the tenant still had a directory; it has none now.
        saved = replace(DialogState(), turn=7)
        text = snapshots.dump(snapshots.DialogSnapshot(saved, AnswerWindow(7, ParseContext())))
        await conversation.restore(text)
        assert runner.state.turn == 7
        assert runner.state.policy.directory is False
    finally:
        outbox.close()


def test_a_contacts_files_name_index_is_kept_in_the_cache_between_starts(tmp_path: Path) -> None:
    from assistant.directory_file import FileDirectory
    from assistant.directory_source import Directory, directory_parser
    from intents.result import ContactResolution

    port = FileDirectory.read(people(tmp_path))
    directory = Directory(port, "the file")
    cache = tmp_path / "cache"
    for _start in range(2):
        parser = directory_parser(directory, port.contacts, "en", cache)
        result = parser.parse("text person 3 hello", now=NOW)
        recipient = result.slots["recipient"]
        assert isinstance(recipient, ContactResolution)
        assert recipient.best is not None
        assert recipient.best.id == "emp-3"
    assert len(list(cache.iterdir())) == 1
