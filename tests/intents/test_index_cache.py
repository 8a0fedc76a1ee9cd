"""The contacts file's index is kept on disk, keyed by the file's bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import InputFileError
from intents import index_cache
from intents.grammar import load_grammar
from intents.index_cache import load_index

CSV = "id,name,department\nlw,Li Wei,Sales\nzs,Zhang San,Engineering\npz,Peter Zhou,Logistics\n"


@pytest.fixture
def phonetics() -> dict[str, object]:
    return dict(load_grammar("en").data["phonetics"])


def _file(tmp_path: Path, text: str = CSV) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _no_reading(path: Path) -> None:
    raise AssertionError(f"the contacts file {path} was read again")


def test_second_load_comes_from_the_cache(
    tmp_path: Path, phonetics: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, cache = _file(tmp_path), tmp_path / "cache"
    built = load_index(path, phonetics, cache)
    assert len(list(cache.glob("contacts-*.pickle"))) == 1
    monkeypatch.setattr(index_cache, "read_contacts", _no_reading)
    cached = load_index(path, phonetics, cache)
    for heard in ("jang san", "peter joe", "li wei"):
        assert cached.resolve(heard) == built.resolve(heard)


def test_a_changed_file_is_indexed_afresh(tmp_path: Path, phonetics: dict[str, object]) -> None:
    path, cache = _file(tmp_path), tmp_path / "cache"
    load_index(path, phonetics, cache)
    path.write_text(CSV + "xj,Xu Jing,Support\n", encoding="utf-8")
    index = load_index(path, phonetics, cache)
    assert index.resolve("xu jing").best is not None
    assert len(list(cache.glob("contacts-*.pickle"))) == 2


def test_a_torn_cache_is_rebuilt(tmp_path: Path, phonetics: dict[str, object]) -> None:
    path, cache = _file(tmp_path), tmp_path / "cache"
    load_index(path, phonetics, cache)
    (kept,) = cache.glob("contacts-*.pickle")
    kept.write_bytes(kept.read_bytes()[:20])
    assert load_index(path, phonetics, cache).resolve("zhang san").best is not None
    assert load_index(path, phonetics, cache).resolve("zhang san").best is not None


def test_an_unwritable_cache_is_only_slower(tmp_path: Path, phonetics: dict[str, object]) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    index = load_index(_file(tmp_path), phonetics, blocker / "cache")
    assert index.resolve("li wei").candidates


def test_a_bad_file_is_still_a_clear_error(tmp_path: Path, phonetics: dict[str, object]) -> None:
    with pytest.raises(InputFileError, match="cannot read contacts file"):
        load_index(tmp_path / "missing.csv", phonetics, tmp_path / "cache")


MISHEARD = CSV + (
    "zr,Zhang Ruitao,Logistics\nqh,Qiu Huibin,Support\nmj,Matthew Johnson-Perez,Sales\n"
    'mw,Mary Sanchez-Walker,"Sales, North"\nxw,徐伟,Finance\n'
)


def test_a_cached_index_is_the_built_one_contact_for_contact(
    tmp_path: Path, phonetics: dict[str, object]
) -> None:
    path, cache = _file(tmp_path, MISHEARD), tmp_path / "cache"
    built = load_index(path, phonetics, cache)
    cached = load_index(path, phonetics, cache)
    assert cached is not built
    assert list(cached.contacts) == list(built.contacts)
    for heard in ("jung rwaytao", "chyo hway bin", "mathew johnsen perez", "xu wei", "徐伟"):
        assert cached.resolve(heard) == built.resolve(heard), heard
        assert cached.resolve(heard).best is not None, heard


def test_changed_name_rules_index_the_file_afresh(
    tmp_path: Path, phonetics: dict[str, object]
) -> None:
    path, cache = _file(tmp_path), tmp_path / "cache"
    load_index(path, phonetics, cache)
    changed = {**phonetics, "rules": [*phonetics["rules"], ["ck", "k"]]}  # type: ignore[misc]
    load_index(path, changed, cache)
    assert len(list(cache.glob("contacts-*.pickle"))) == 2


def test_a_new_cache_layout_ignores_older_files(
    tmp_path: Path, phonetics: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, cache = _file(tmp_path), tmp_path / "cache"
    load_index(path, phonetics, cache)
    monkeypatch.setattr(index_cache, "CACHE_VERSION", index_cache.CACHE_VERSION + 1)
    assert load_index(path, phonetics, cache).resolve("peter joe").best is not None
    assert len(list(cache.glob("contacts-*.pickle"))) == 2
