"""The wake phrase: matching, settings, and spotting in real speech and cabin noise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from assistant.asr import Final, Listener, VoskTranscriber, WakeHeard
from assistant.asr.base import Transcriber
from assistant.asr.wake import WakeGate, WakePhrase, wait_for_wake
from assistant.config import WakeSettings, load_settings
from assistant.errors import ConfigError
from assistant.models import Hypothesis, Word
from assistant.replay.scenes import Scene, build_scene, noise_only
from assistant.replay.synth import speak

ROWS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "wake_matches.yaml").read_text(encoding="utf-8")
)
HEY = WakePhrase("hey drive talk", ("hey", "the", "talk to me", "a"), min_confidence=0.7)
#: The test phrase, heard by the Korean model (the only one on these machines).
KO = WakePhrase.for_locale("ko")


def _final(words: list[list[Any]]) -> Final:
    heard = tuple(Word(str(w), i * 0.3, i * 0.3 + 0.3, float(c)) for i, (w, c) in enumerate(words))
    return Final(text=" ".join(w.word for w in heard), words=heard)


@pytest.mark.parametrize("row", ROWS, ids=[" ".join(w for w, _ in r["words"]) for r in ROWS])
def test_the_phrase_counts_only_in_order_and_surely_heard(row: dict[str, Any]) -> None:
    assert HEY.heard_in(_final(row["words"])) is row["heard"]


def test_without_word_details_the_text_is_matched() -> None:
    assert HEY.heard_in(Final(text="oh hey drive talk"))
    assert not HEY.heard_in(Final(text="hey drive"))


def test_a_partial_ending_with_the_phrase_may_end_the_utterance() -> None:
    assert HEY.ends_with_phrase("oh hey drive talk")
    assert not HEY.ends_with_phrase("hey drive talk to me")
    assert not HEY.ends_with_phrase("")


def test_the_grammar_is_the_phrase_then_the_fillers_without_its_own_words() -> None:
    assert HEY.grammar == ("hey drive talk", "the", "a")


@pytest.mark.parametrize("locale", ["en", "zh", "ko"])
def test_every_shipped_locale_has_a_phrase_and_fillers(locale: str) -> None:
    wake = WakePhrase.for_locale(locale)
    assert wake.phrase.split()
    assert len(wake.fillers) >= 20


def test_a_locale_without_a_phrase_says_what_to_set() -> None:
    with pytest.raises(ConfigError, match=r"no wake phrase for locale 'xx'.*\[wake\] phrase"):
        WakePhrase.for_locale("xx")


def test_settings_override_the_locale_phrase_and_keep_its_fillers() -> None:
    wake = WakePhrase.from_settings(
        WakeSettings(enabled=True, phrase="  ok   car ", min_confidence=0.5), "en"
    )
    assert wake.phrase == "ok car"
    assert wake.fillers == WakePhrase.for_locale("en").fillers
    assert wake.min_confidence == 0.5


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("DRIVETALK_WAKE__PHRASE", " ", "wake.phrase"),
        ("DRIVETALK_WAKE__MIN_CONFIDENCE", "1.5", "wake.min_confidence"),
        ("DRIVETALK_WAKE__LISTEN_SECONDS", "0", "wake.listen_seconds"),
        ("DRIVETALK_WAKE__ENABLED", "maybe", "wake.enabled"),
        ("DRIVETALK_WAKE__LOUDNESS", "3", "wake.loudness"),
    ],
)
def test_bad_wake_settings_are_one_clear_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: str, value: str, message: str
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings()
    assert "\n" not in str(info.value)


# -- real speech through the Korean model ---------------------------------------------


async def _chunks(scene: Scene) -> AsyncIterator[bytes]:
    pcm = scene.pcm()
    step = 3200
    for offset in range(0, len(pcm), step):
        yield pcm[offset : offset + step]


async def _spot(engine: Transcriber, scene: Scene, wake: WakePhrase = KO) -> list[WakeHeard]:
    heard: list[WakeHeard] = []
    chunks = _chunks(scene)
    listener = Listener(engine)
    accepted = False
    for _ in range(4):  # every utterance of the scene, as the chat's loop would
        accepted = await wait_for_wake(listener, chunks, wake, heard.append) or accepted
    assert accepted is bool(heard)
    return heard


def _scene(text: str, voice: str, noise: str | None = None, snr: float | None = None) -> Scene:
    return build_scene([speak(text, voice, 175)], 16000, noise=noise, snr_db=snr, seed=11)


@pytest.mark.vosk
@pytest.mark.espeak
@pytest.mark.parametrize("voice", ["ko+f3", "ko+m2"])
async def test_the_phrase_is_heard_in_a_quiet_car(ko: VoskTranscriber, voice: str) -> None:
    heard = await _spot(ko, _scene(KO.phrase, voice))
    assert [h.phrase for h in heard] == [KO.phrase]
    assert 1.0 < heard[0].time < 3.0  # when the phrase ended, in stream time


@pytest.mark.vosk
@pytest.mark.espeak
async def test_the_phrase_is_heard_through_road_noise_at_10_db(ko: VoskTranscriber) -> None:
    heard = await _spot(ko, _scene(KO.phrase, "ko", "cabin", 10.0))
    assert len(heard) == 1


@pytest.mark.vosk
@pytest.mark.espeak
@pytest.mark.parametrize(
    "text",
    ["안녕하세요 오늘 날씨가 좋네요", "자동차 보험이 비싸요", "안녕히 가세요"],
)
async def test_other_speech_even_with_a_word_of_the_phrase_is_not_the_phrase(
    ko: VoskTranscriber, text: str
) -> None:
    assert await _spot(ko, _scene(text, "ko+f3")) == []


@pytest.mark.vosk
async def test_cabin_noise_alone_never_wakes_it(ko: VoskTranscriber) -> None:
    scene = noise_only("cabin", 20.0, 16000, snr_db=5.0, seed=3)
    assert float(np.max(np.abs(scene.samples))) > 0.01  # loud noise, not silence
    assert await _spot(ko, scene) == []


# -- real speech through pocketsphinx's English model: the shipped English phrase ----------

#: The shipped English phrase, spotted by the pocketsphinx engine (its wheel's model).
EN = WakePhrase.for_locale("en")


@pytest.fixture(scope="module")
def sphinx(tmp_path_factory: pytest.TempPathFactory) -> Transcriber:
    pytest.importorskip("pocketsphinx")
    from assistant.asr.sphinx_engine import SphinxTranscriber, load_sphinx_model

    model = load_sphinx_model((), tmp_path_factory.mktemp("lm"))
    return SphinxTranscriber(model, alternatives=5, decoders=1)


@pytest.mark.espeak
@pytest.mark.parametrize(
    ("voice", "noise", "snr"),
    [("en-us", None, None), ("en-us+f2", None, None), ("en-us+m3", "cabin", 10.0)],
)
async def test_the_english_phrase_wakes_it(
    sphinx: Transcriber, voice: str, noise: str | None, snr: float | None
) -> None:
    heard = await _spot(sphinx, _scene(EN.phrase, voice, noise, snr), EN)
    assert [h.phrase for h in heard] == ["hey drive talk"]


@pytest.mark.espeak
@pytest.mark.parametrize(
    "text",
    [
        "what's my next meeting",
        "let me talk to my sister before we drive home",
        "hey there how was your weekend",
        "this is talk radio and the lines are open",
    ],
)
async def test_english_speech_that_is_not_the_phrase_does_not_wake_it(
    sphinx: Transcriber, text: str
) -> None:
    assert await _spot(sphinx, _scene(text, "en-us+f2"), EN) == []


def test_every_shipped_filler_is_a_word_not_a_yaml_boolean() -> None:
    # Unquoted yes/no in the YAML catalogue load as booleans: "True" is no filler.
    for locale in ("en", "zh", "ko"):
        assert "True" not in WakePhrase.for_locale(locale).fillers
        assert "False" not in WakePhrase.for_locale(locale).fillers
    assert {"yes", "no"} <= set(WakePhrase.for_locale("en").fillers)


def test_a_filler_yaml_read_as_a_boolean_is_a_clear_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unquoted = yaml.safe_load("xx: {phrase: hey car, fillers: [the, yes, on]}")
    monkeypatch.setattr("assistant.asr.wake._catalogue", lambda: unquoted)
    with pytest.raises(ConfigError, match=r"locale 'xx' must be words, not True \(quote yes"):
        WakePhrase.for_locale("xx")


# -- the gate: which utterances need the phrase ------------------------------------------


async def _never(_chunks: object) -> AsyncIterator[bytes]:
    raise AssertionError("the gate must not listen for the phrase here")
    yield b""  # pragma: no cover


async def test_without_a_phrase_every_utterance_is_a_turn(ko: VoskTranscriber) -> None:
    gate = WakeGate(None)
    assert await gate.admit(Listener(ko), _never(None), busy=False)
    assert gate.window_ms() is None


async def test_a_busy_assistant_needs_no_phrase(ko: VoskTranscriber) -> None:
    gate = WakeGate(KO)
    assert await gate.admit(Listener(ko), _never(None), busy=True)
    assert gate.window_ms() is None  # no wake window: the usual leading silence


@pytest.mark.vosk
@pytest.mark.espeak
async def test_after_the_phrase_one_utterance_is_a_turn_within_the_wake_window(
    ko: VoskTranscriber,
) -> None:
    gate = WakeGate(replace(KO, listen_seconds=4.0))
    chunks = _chunks(_scene(KO.phrase, "ko+f3"))
    heard: list[WakeHeard] = []
    assert not await gate.admit(Listener(ko), chunks, busy=False, on_wake=heard.append)
    assert len(heard) == 1
    assert await gate.admit(Listener(ko), _never(None), busy=False)
    assert gate.window_ms() == 4000
    assert gate.window_ms() is None  # once: the next utterance needs the phrase again


@pytest.mark.parametrize(("locale", "phrase"), [("en", "hey drive talk"), ("zh", "你好 小钉")])
def test_each_locale_gets_its_own_phrase_through_the_same_gate(locale: str, phrase: str) -> None:
    # No Chinese model runs here: Mandarin shares every line of the path but the model.
    gate = WakeGate.configured(WakeSettings(), locale, enabled=True)
    assert gate.wake is not None
    assert gate.wake.phrase == phrase
    assert gate.wake.grammar[0] == phrase
    assert len(gate.wake.grammar) > 20


def test_the_gate_follows_the_wake_settings() -> None:
    settings = WakeSettings(phrase="ok car", fillers=("the",))
    assert WakeGate.configured(settings, "en").wake is None  # [wake] enabled is off
    gate = WakeGate.configured(settings, "en", enabled=True)
    assert gate.wake is not None
    assert gate.wake.phrase == "ok car"


NBEST: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "wake_nbest.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize(
    "row", NBEST, ids=[" / ".join(str(a[0]) for a in r["alternatives"]) or "none" for r in NBEST]
)
def test_the_phrase_counts_when_enough_of_the_n_best_list_opens_with_it(
    row: dict[str, Any],
) -> None:
    hypotheses = tuple(Hypothesis(str(text), float(score)) for text, score in row["alternatives"])
    best = hypotheses[0].text if hypotheses else ""
    # Words below min_confidence: only the n-best share can accept it.
    unsure = tuple(Word(w, 0.0, 0.1, 0.1) for w in best.split())
    final = Final(text=best, alternatives=hypotheses, words=unsure)
    assert replace(HEY, min_share=0.3).heard_in(final) is row["heard"]
    assert not replace(HEY, min_share=None).heard_in(final)


def test_a_share_outside_zero_to_one_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="min_share"):
        replace(HEY, min_share=0.0)


PARTIAL: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "wake_partial.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize(
    "row",
    PARTIAL,
    ids=[f"{r['partial'] or 'none'}: {' / '.join(r['alternatives'])}" for r in PARTIAL],
)
def test_the_partial_that_ended_the_utterance_counts_while_the_n_best_list_keeps_it(
    row: dict[str, Any],
) -> None:
    hypotheses = tuple(Hypothesis(str(text), 0.01) for text in row["alternatives"])
    unsure = tuple(Word(w, 0.0, 0.1, 0.1) for w in hypotheses[0].text.split())
    final = Final(text=hypotheses[0].text, alternatives=hypotheses, words=unsure)
    wake = replace(HEY, min_share=0.9)
    assert wake.heard_in(final, row["partial"]) is row["heard"]
    assert not replace(wake, trust_partial=False).heard_in(final, row["partial"])
