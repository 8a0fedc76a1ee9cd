"""The vosk engine with the real Korean model: streaming, n-best, grammars, resampling."""

from __future__ import annotations

import asyncio
import itertools
import threading
from pathlib import Path

import pytest

from assistant.asr import AsyncSession, Partial, VoskTranscriber, load_model, transcribe_file
from assistant.audio import ChunkReader, open_audio
from assistant.errors import ASRError, AudioFormatError, ModelError
from tests.assistant.asr.conftest import GRAMMAR, PHRASES
from tests.assistant.asr.modelfiles import make_model_dir
from tests.assistant.audio.wavgen import sox_convert

pytestmark = [pytest.mark.vosk, pytest.mark.espeak]


def _chunks(path: Path, rate: int = 16000, chunk_ms: int = 100) -> list[bytes]:
    with open_audio(path) as source:
        return list(ChunkReader(source, rate, chunk_ms=chunk_ms))


def test_the_model_loads_once_per_process(ko: VoskTranscriber, ko_model_path: Path) -> None:
    assert load_model(ko_model_path) is ko.model
    assert ko.model.load_seconds > 0
    assert ko.sample_rate == 16000
    assert ko.model.supports_grammar


def test_open_recognition_streams_partials_then_an_n_best_final(
    ko: VoskTranscriber, speech: dict[str, Path]
) -> None:
    session = ko.open_session(alternatives=3)
    partials: list[Partial] = []
    for chunk in _chunks(speech["hello"]):
        partials += session.accept(chunk)
    final = session.finish()
    session.close()
    assert partials
    assert all(a.text != b.text for a, b in itertools.pairwise(partials))
    assert final.text
    assert final.alternatives[0].text == final.text
    assert len(final.alternatives) >= 2
    scores = [h.score for h in final.alternatives]
    assert scores == sorted(scores, reverse=True)
    assert 0.99 <= sum(scores) <= 1.01
    assert final.words
    assert all(0 <= w.start < w.end <= 1.4 and 0 < w.confidence <= 1 for w in final.words)


def test_single_best_mode_gives_mbr_word_confidences(
    ko: VoskTranscriber, speech: dict[str, Path]
) -> None:
    result = transcribe_file(ko, speech["yes"], alternatives=1)
    assert len(result.final.alternatives) == 1
    assert all(0 < w.confidence <= 1 for w in result.final.words)


@pytest.mark.parametrize("key", sorted(PHRASES))
def test_a_grammar_constrains_recognition_to_the_expected_answers(
    ko: VoskTranscriber, speech: dict[str, Path], key: str
) -> None:
    result = transcribe_file(ko, speech[key], grammar=GRAMMAR)
    assert result.final.text == PHRASES[key]


def test_a_grammar_with_an_out_of_vocabulary_word_falls_back_to_open_recognition(
    ko: VoskTranscriber,
) -> None:
    assert ko.out_of_vocabulary(["네", "Zhang San"]) == ("zhang", "san")
    assert ko.open_session(["네", "아니요"]).constrained
    assert not ko.open_session(["네", "Zhang San"]).constrained


# Telephone-band 8 kHz audio has nothing above 4 kHz, where the sibilants of
# 취소 live: the model hears 아니요 there even with perfect resampling, so the
# 8 kHz case uses a phrase that survives band-limiting.
@pytest.mark.parametrize(
    ("key", "rate", "channels", "float32"),
    [("no", 8000, 1, False), ("cancel", 44100, 1, False), ("cancel", 48000, 2, True)],
)
def test_audio_at_other_rates_and_channel_counts_is_resampled(  # noqa: PLR0917
    ko: VoskTranscriber,
    speech: dict[str, Path],
    tmp_path: Path,
    key: str,
    rate: int,
    channels: int,
    float32: bool,
) -> None:
    converted = sox_convert(speech[key], tmp_path / "in.wav", rate, channels, float32=float32)
    with open_audio(converted) as source:
        assert (source.format.rate, source.format.channels) == (rate, channels)
    result = transcribe_file(ko, converted, grammar=GRAMMAR)
    assert result.final.text == PHRASES[key]
    with open_audio(speech[key]) as original:
        assert result.audio_duration == pytest.approx(original.duration, abs=0.01)


def test_silence_gives_an_empty_result(ko: VoskTranscriber, tmp_path: Path) -> None:
    silent = tmp_path / "silence.wav"
    silent.write_bytes(_wav_of_zeros(seconds=2.0))
    result = transcribe_file(ko, silent)
    assert result.final.text == ""
    assert result.final.alternatives == ()
    assert result.final.words == ()


def _wav_of_zeros(seconds: float) -> bytes:
    import numpy as np

    from tests.assistant.audio.wavgen import wav_bytes

    return wav_bytes(np.zeros((int(16000 * seconds), 1), dtype=np.float32), 16000)


async def test_concurrent_sessions_share_one_model(
    ko: VoskTranscriber, speech: dict[str, Path]
) -> None:
    threads = threading.active_count()
    keys = ["yes", "no", "cancel", "hello"]

    async def recognize(key: str) -> str:
        async with await AsyncSession.open(ko, GRAMMAR) as session:
            for chunk in _chunks(speech[key]):
                await session.accept(chunk)
            return (await session.finish()).text

    texts = await asyncio.gather(*(recognize(k) for k in keys))
    assert texts == [PHRASES[k] for k in keys]
    assert threading.active_count() == threads


def test_a_session_is_reusable_and_word_times_restart_per_utterance(
    ko: VoskTranscriber, speech: dict[str, Path]
) -> None:
    session = ko.open_session(GRAMMAR)
    finals = []
    for key in ("cancel", "yes"):
        for chunk in _chunks(speech[key]):
            session.accept(chunk)
        finals.append(session.finish())
    assert [f.text for f in finals] == ["취소", "네"]
    assert finals[1].words[0].start < 0.3


def test_bad_pcm_and_a_closed_session_are_specific_errors(ko: VoskTranscriber) -> None:
    session = ko.open_session()
    with pytest.raises(AudioFormatError, match="odd number of bytes"):
        session.accept(b"\x00\x01\x02")
    session.close()
    with pytest.raises(ASRError, match="closed"):
        session.accept(b"\x00\x00")


@pytest.mark.usefixtures("no_leaks")
def test_a_model_directory_missing_files_is_a_model_error(tmp_path: Path) -> None:
    incomplete = make_model_dir(tmp_path / "m", files=("conf/mfcc.conf", "conf/model.conf"))
    with pytest.raises(ModelError, match=r"missing am/final\.mdl"):
        load_model(incomplete)


@pytest.mark.usefixtures("no_leaks")
def test_a_model_with_unreadable_files_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="could not load"):
        load_model(make_model_dir(tmp_path / "junk"))
