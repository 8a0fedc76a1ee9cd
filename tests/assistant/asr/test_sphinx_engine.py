"""The pocketsphinx engine on real speech: the replay set's English WAVs.

The recordings are espeak-ng renders (audio_samples/README.md); the
assertions are what the engine guarantees (the protocol, grammars, n-best,
word times), and recognition where it holds on this audio.
"""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from assistant.asr.base import StreamingSession, Transcriber
from assistant.asr.events import Final, Partial
from assistant.errors import ASRError, AudioFormatError

pocketsphinx = pytest.importorskip("pocketsphinx")

from assistant.asr.sphinx_engine import (  # noqa: E402
    SphinxTranscriber,
    forget_pools,
    jsgf,
    load_sphinx_model,
    sphinx_pool,
)

SAMPLES = Path(__file__).resolve().parents[3] / "audio_samples" / "wav"
NAMES = ("Zhang San", "Li Na", "David Miller", "Wang Fang")
CHUNK = 3200  # 100 ms at 16 kHz


def pcm(case: str, turn: int) -> bytes:
    with wave.open(str(SAMPLES / case / f"{turn}.wav")) as wav:
        assert wav.getframerate() == 16000
        return wav.readframes(wav.getnframes())


@pytest.fixture(scope="module")
def sphinx(tmp_path_factory: pytest.TempPathFactory) -> SphinxTranscriber:
    model = load_sphinx_model(NAMES, tmp_path_factory.mktemp("lm"))
    return SphinxTranscriber(model, alternatives=3, decoders=1)


def decode(session: StreamingSession, audio: bytes) -> tuple[list[Partial], Final]:
    partials: list[Partial] = []
    for i in range(0, len(audio), CHUNK):
        partials += session.accept(audio[i : i + CHUNK])
    return partials, session.finish()


def test_it_is_a_transcriber_of_english_at_16_khz(sphinx: SphinxTranscriber) -> None:
    assert isinstance(sphinx, Transcriber)
    assert (sphinx.name, sphinx.language, sphinx.sample_rate) == ("pocketsphinx", "en", 16000)
    session = sphinx.open_session()
    assert isinstance(session, StreamingSession)
    assert not session.constrained
    session.close()


@pytest.mark.parametrize(
    ("case", "turn", "answer"), [("send-all-at-once", 2, "yes"), ("deny-then-cancel", 2, "no")]
)
def test_a_grammar_of_the_expected_answers_hears_the_answer(
    sphinx: SphinxTranscriber, case: str, turn: int, answer: str
) -> None:
    session = sphinx.open_session(["Yes", "no", "cancel", "send it"])
    assert session.constrained
    _, final = decode(session, pcm(case, turn))
    session.close()
    assert final.text == answer
    assert {a.text for a in final.alternatives} <= {"yes", "no", "cancel", "send it"}


def test_open_recognition_streams_partials_and_ends_with_words_and_n_best(
    sphinx: SphinxTranscriber,
) -> None:
    audio = pcm("calendar-next", 1)  # "what's my next meeting"
    session = sphinx.open_session()
    partials, final = decode(session, audio)
    session.close()
    assert partials
    assert final.text
    assert 1 <= len(final.alternatives) <= 3
    assert final.alternatives[0].text == final.text
    assert sum(a.score for a in final.alternatives) == pytest.approx(1.0, abs=0.01)
    assert " ".join(w.word for w in final.words) == final.text
    seconds = len(audio) / 2 / 16000
    assert all(0 <= w.start < w.end <= seconds + 0.01 for w in final.words)


def test_a_session_goes_on_after_an_utterance_and_frees_its_decoder(
    sphinx: SphinxTranscriber,
) -> None:
    session = sphinx.open_session(["yes", "no"])
    assert decode(session, pcm("send-all-at-once", 2))[1].text == "yes"
    assert decode(session, pcm("deny-then-cancel", 2))[1].text == "no"
    session.close()
    assert sphinx.pool.idle == 1  # given back, and back on the language model
    after = sphinx.open_session()
    assert decode(after, pcm("calendar-next", 1))[1].text not in ("yes", "no")
    after.close()


def test_nothing_heard_is_an_empty_final(sphinx: SphinxTranscriber) -> None:
    session = sphinx.open_session()
    assert session.finish() == Final(text="")
    session.close()


def test_bad_audio_and_a_closed_session_are_refused(sphinx: SphinxTranscriber) -> None:
    session = sphinx.open_session()
    with pytest.raises(AudioFormatError, match="odd number"):
        session.accept(b"\x00\x01\x02")
    session.close()
    with pytest.raises(ASRError, match="closed"):
        session.accept(b"\x00\x00")


def test_grammar_words_with_jsgf_operators_are_quoted() -> None:
    assert jsgf(["yes", "a|b"]).endswith('public <answer> = yes | "a|b";\n')


def test_a_session_waiting_for_a_busy_decoder_is_told_so_or_interrupted(
    sphinx: SphinxTranscriber,
) -> None:
    import threading

    holder = sphinx.open_session()
    holder.accept(b"\x00\x00" * 1600)  # takes the pool's only decoder
    waiting = SphinxTranscriber(sphinx.model, decoders=1, decoder_wait=0.05).open_session()
    with pytest.raises(ASRError, match="busy"):
        waiting.accept(b"\x00\x00" * 1600)
    patient = SphinxTranscriber(sphinx.model, decoders=1, decoder_wait=60).open_session()
    failure: list[BaseException] = []

    def wait() -> None:
        try:
            patient.accept(b"\x00\x00" * 1600)
        except ASRError as exc:
            failure.append(exc)

    worker = threading.Thread(target=wait)
    worker.start()
    patient.interrupt()  # as AsyncSession.aclose does from the event loop
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert failure
    holder.close()
    assert sphinx.pool.idle == 1


def test_an_answer_that_goes_on_with_free_text_is_heard_with_the_language_model(
    sphinx: SphinxTranscriber,
) -> None:
    session = sphinx.open_session(["yes", "no", "change the message to"])
    assert not session.constrained  # a grammar would cut the new text after "to"
    session.close()


def test_a_one_word_phrase_never_goes_on_with_free_text(sphinx: SphinxTranscriber) -> None:
    # "to" and "that" are a wake phrase's fillers here, not the lead-in of a dictation.
    session = sphinx.open_session(["hey drive talk", "to", "that", "the"])
    assert session.constrained
    session.close()


def test_forgotten_pools_give_the_next_session_a_fresh_decoder(tmp_path: Path) -> None:
    model = load_sphinx_model(NAMES, tmp_path)
    warm = sphinx_pool(model, decoders=1)
    assert sphinx_pool(model, decoders=1) is warm
    forget_pools()
    assert sphinx_pool(model, decoders=1) is not warm
