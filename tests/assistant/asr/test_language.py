"""A model's language, and refusing one of another language where words are understood."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.asr.catalogue import catalogue, default_model, find_entry
from assistant.asr.factory import transcriber_from_settings
from assistant.asr.language import check_language, locale_language, model_language
from assistant.asr.locate import models_dir, select_model
from assistant.config import load_settings
from assistant.errors import ModelLanguageError, ModelNotFoundError
from tests.assistant.asr.modelfiles import make_model_dir

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "model_languages.yaml").read_text(encoding="utf-8")
)


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("DRIVETALK_MODEL", raising=False)
    monkeypatch.setattr("assistant.asr.locate.package_models", lambda: [])
    return tmp_path / "cache"


@pytest.mark.parametrize("case", CASES, ids=[f"{c['path']}:{c['declared']}" for c in CASES])
def test_model_language(case: dict[str, Any]) -> None:
    assert model_language(Path(case["path"]), case["declared"]) == case["language"]


def test_every_catalogue_model_is_tagged_with_its_language() -> None:
    assert {e.language for e in catalogue()} >= {"en", "zh", "ko"}
    chinese = [e.name for e in catalogue() if e.language == "zh"]
    assert chinese == ["vosk-model-small-cn-0.22", "vosk-model-cn-0.22"]
    small = find_entry("vosk-model-small-cn-0.22")
    assert small.bytes == 43_898_754
    assert small.sha256 == "3af8b0e7e0f835ae9d414ce5df580237a3cfb08d586c9fbbb0f7ff29ad5b14ba"
    assert default_model("zh") == "vosk-model-small-cn-0.22"
    assert default_model("en") == "vosk-model-small-en-us-0.15"


def test_a_model_of_the_locale_language_passes() -> None:
    check_language(Path("m"), "zh", "zh")
    check_language(Path("m"), "en", "en")
    assert locale_language("zh") == "zh"


@pytest.mark.parametrize(
    ("language", "locale", "expected"),
    [
        (
            "ko",
            "en",
            r"speech model m hears Korean \(ko\), but locale en needs English \(en\): "
            r"run `drivetalk model pull vosk-model-small-en-us-0.15`",
        ),
        (
            "en",
            "zh",
            r"hears English \(en\), but locale zh needs Chinese \(Mandarin\) \(zh\): "
            r"run `drivetalk model pull vosk-model-small-cn-0.22`",
        ),
        (
            None,
            "zh",
            r"language of speech model m is unknown.*declare it with "
            r'\[asr\] model_language = "zh"',
        ),
    ],
)
def test_a_model_of_another_language_is_refused_naming_what_to_install(
    language: str | None, locale: str, expected: str
) -> None:
    with pytest.raises(ModelLanguageError, match=expected) as info:
        check_language(Path("m"), language, locale)
    assert "\n" not in str(info.value)


def test_the_installed_model_of_the_locale_language_is_selected() -> None:
    make_model_dir(models_dir() / "vosk-model-small-en-us-0.15")
    make_model_dir(models_dir() / "vosk-model-small-cn-0.22")
    assert select_model(language="zh").path.name == "vosk-model-small-cn-0.22"
    assert select_model(language="en").path.name == "vosk-model-small-en-us-0.15"
    assert select_model().path.name == "vosk-model-small-en-us-0.15"  # any: catalogue order
    assert select_model(language="zh").language == "zh"


def test_no_model_of_the_locale_language_says_which_were_found_and_what_to_pull() -> None:
    make_model_dir(models_dir() / "vosk-model-small-ko-0.22")
    with pytest.raises(ModelNotFoundError) as info:
        select_model(language="zh")
    assert str(info.value) == (
        "no Chinese (Mandarin) (zh) speech model installed (found vosk-model-small-ko-0.22 (ko)): "
        "run `drivetalk model pull vosk-model-small-cn-0.22` or pass --model PATH"
    )


def test_a_configured_model_of_another_language_is_refused_before_loading(tmp_path: Path) -> None:
    korean = make_model_dir(tmp_path / "vosk-model-small-ko-0.22")
    settings = load_settings(None, model=korean)
    with pytest.raises(ModelLanguageError, match="hears Korean"):
        transcriber_from_settings(settings, locale="en")


def test_a_declared_language_lets_a_custom_named_model_through_the_check(tmp_path: Path) -> None:
    custom = make_model_dir(tmp_path / "car-model")
    settings = load_settings(None, model=custom, asr={"model_language": "zh"})
    choice = select_model(settings.model, declared=settings.asr.model_language)
    check_language(choice.path, choice.language, "zh")
    bare = select_model(custom)
    with pytest.raises(ModelLanguageError, match="is unknown"):
        check_language(bare.path, bare.language, "zh")
