"""Listening for an utterance: endpoint events, partials, barge-in, push-to-talk."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from assistant.asr import (
    BargeIn,
    Event,
    Final,
    Listener,
    Partial,
    SpeechEnded,
    SpeechStarted,
    VoskTranscriber,
)
from assistant.audio import ChunkReader, EndpointConfig, open_audio
from tests.assistant.asr.conftest import GRAMMAR
from tests.assistant.audio.wavgen import silence_then

pytestmark = [pytest.mark.vosk, pytest.mark.espeak]

QUICK = EndpointConfig(trailing_silence_ms=500, leading_silence_ms=2000)


async def _stream(*paths: Path) -> AsyncIterator[bytes]:
    for path in paths:
        with open_audio(path) as source:
            for chunk in ChunkReader(source, 16000, chunk_ms=100):
                yield chunk


def _kinds(events: list[Event]) -> list[str]:
    return [e.type for e in events if not isinstance(e, Partial)]


@pytest.fixture(scope="module")
def padded(speech: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The utterances with 0.5 s of silence before and 1.5 s after."""
    base = tmp_path_factory.mktemp("padded")
    return {k: silence_then(base / f"{k}.wav", p, 0.5, 1.5) for k, p in speech.items()}


async def test_an_utterance_gives_start_partials_end_and_final(
    ko: VoskTranscriber, padded: dict[str, Path]
) -> None:
    threads = threading.active_count()
    events = [e async for e in Listener(ko, QUICK).listen(_stream(padded["no"]), grammar=GRAMMAR)]
    assert _kinds(events) == ["speech_started", "speech_ended", "final"]
    assert any(isinstance(e, Partial) and e.text == "아니요" for e in events)
    started, ended = events[0], next(e for e in events if isinstance(e, SpeechEnded))
    assert isinstance(started, SpeechStarted)
    assert 0.3 <= started.time <= 0.8
    assert ended.reason == "silence"
    final = events[-1]
    assert isinstance(final, Final)
    assert final.text == "아니요"
    assert [w.word for w in final.words] == ["아니요"]
    assert threading.active_count() == threads


async def test_speech_while_the_assistant_talks_is_a_barge_in(
    ko: VoskTranscriber, padded: dict[str, Path]
) -> None:
    listener = Listener(ko, QUICK)
    listener.assistant_speaking = True
    events = [e async for e in listener.listen(_stream(padded["yes"]), grammar=GRAMMAR)]
    assert _kinds(events)[:2] == ["speech_started", "barge_in"]
    assert isinstance(events[1], BargeIn)
    quiet = [
        e
        async for e in listener.listen(
            _stream(padded["yes"]), grammar=GRAMMAR, is_speaking=lambda: False
        )
    ]
    assert "barge_in" not in _kinds(quiet)


async def test_nobody_speaking_ends_with_no_speech_and_an_empty_final(
    ko: VoskTranscriber, tmp_path: Path
) -> None:
    async def silence() -> AsyncIterator[bytes]:
        for _ in range(100):  # 10 s available, the limit is 2 s
            yield bytes(3200)

    events = [e async for e in Listener(ko, QUICK).listen(silence(), grammar=GRAMMAR)]
    ended, final = events
    assert isinstance(ended, SpeechEnded)
    assert ended.reason == "no_speech"
    assert ended.time == pytest.approx(2.0, abs=0.05)
    assert final == Final("")


async def test_push_to_talk_runs_until_the_button_is_released(
    ko: VoskTranscriber, padded: dict[str, Path]
) -> None:
    config = EndpointConfig(push_to_talk=True)
    events = [
        e async for e in Listener(ko, config).listen(_stream(padded["cancel"]), grammar=GRAMMAR)
    ]
    assert _kinds(events) == ["speech_started", "speech_ended", "final"]
    ended = next(e for e in events if isinstance(e, SpeechEnded))
    assert ended.reason == "end_of_stream"
    assert isinstance(events[-1], Final)
    assert events[-1].text == "취소"


async def test_one_stream_can_be_listened_to_utterance_after_utterance(
    ko: VoskTranscriber, padded: dict[str, Path]
) -> None:
    stream = _stream(padded["yes"], padded["cancel"])
    listener = Listener(ko, QUICK)
    finals = []
    for _ in range(2):
        events = [e async for e in listener.listen(stream, grammar=GRAMMAR)]
        assert isinstance(events[-1], Final)
        finals.append(events[-1].text)
    assert finals == ["네", "취소"]


async def test_stopping_at_the_final_leaves_no_worker_thread(
    ko: VoskTranscriber, padded: dict[str, Path]
) -> None:
    threads = threading.active_count()
    async for event in Listener(ko, QUICK).listen(_stream(padded["yes"]), grammar=GRAMMAR):
        if isinstance(event, Final):
            break
    assert threading.active_count() == threads


class CountingTranscriber:
    """The real Korean-model transcriber, counting the audio its sessions decode."""

    def __init__(self, inner: VoskTranscriber) -> None:
        self.inner = inner
        self.decoded = 0
        self.name = inner.name
        self.sample_rate = inner.sample_rate

    def open_session(self, grammar: object = None, *, alternatives: int | None = None) -> object:
        session = self.inner.open_session(grammar, alternatives=alternatives)  # type: ignore[arg-type]
        outer = self

        class Counting:
            constrained = session.constrained

            def accept(self, pcm: bytes) -> list[Partial]:
                outer.decoded += len(pcm)
                return session.accept(pcm)

            def finish(self) -> Final:
                return session.finish()

            def close(self) -> None:
                session.close()

        return Counting()


async def test_silence_before_anyone_speaks_is_never_decoded(ko: VoskTranscriber) -> None:
    async def silence() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield bytes(3200)

    counting = CountingTranscriber(ko)
    events = [e async for e in Listener(counting, QUICK).listen(silence())]  # type: ignore[arg-type]
    assert events[-1] == Final("")
    assert counting.decoded == 0


async def test_only_speech_and_a_short_preroll_are_decoded(
    ko: VoskTranscriber, padded: dict[str, Path]
) -> None:
    padded_bytes = sum([len(c) async for c in _stream(padded["yes"])])
    counting = CountingTranscriber(ko)
    listener = Listener(counting, QUICK)  # type: ignore[arg-type]
    events = [e async for e in listener.listen(_stream(padded["yes"]), grammar=GRAMMAR)]
    assert isinstance(events[-1], Final)
    assert events[-1].text == "네"
    assert 0 < counting.decoded < padded_bytes


def _seconds(path: Path) -> float:
    with open_audio(path) as source:
        return sum(len(c) for c in ChunkReader(source, 16000)) / 2 / 16000


async def test_event_times_count_from_the_start_of_the_stream_not_of_each_utterance(
    ko: VoskTranscriber, padded: dict[str, Path]
) -> None:
    stream = _stream(padded["yes"], padded["cancel"])
    listener = Listener(ko, QUICK)
    starts, ends = [], []
    for _ in range(2):
        async for event in listener.listen(stream, grammar=GRAMMAR):
            if isinstance(event, SpeechStarted):
                starts.append(event.time)
            elif isinstance(event, SpeechEnded):
                ends.append(event.time)
    # Each file has 0.5 s of silence before its speech (plus espeak-ng's own lead).
    first_file = _seconds(padded["yes"])
    assert 0.5 <= starts[0] < ends[0] < first_file
    assert first_file + 0.5 <= starts[1] < ends[1] < first_file + _seconds(padded["cancel"])
    # Another stream object is another stream: its clock starts again at 0.
    again = [e async for e in listener.listen(_stream(padded["yes"]), grammar=GRAMMAR)]
    assert next(e for e in again if isinstance(e, SpeechStarted)).time == starts[0]


@pytest.fixture(scope="module")
def no_then_hello(speech: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ "아니요", a ~500 ms pause, "안녕하세요", then 1.5 s of silence."""
    base = tmp_path_factory.mktemp("early")
    first = silence_then(base / "no.wav", speech["no"], 0.5, 0.2)
    joined = base / "joined.wav"
    subprocess.run(
        ["sox", str(first), str(speech["hello"]), str(joined), "pad", "0", "1.5"], check=True
    )
    return joined


async def test_a_partial_the_caller_calls_complete_ends_the_utterance_early(
    ko: VoskTranscriber, no_then_hello: Path
) -> None:
    asked: list[str] = []

    def complete(text: str) -> bool:
        asked.append(text)
        return text == "아니요"

    listener = Listener(ko, EndpointConfig())
    chunks = _stream(no_then_hello)
    first = [e async for e in listener.listen(chunks, grammar=GRAMMAR, complete=complete)]
    assert "아니요" in asked
    assert isinstance(first[-1], Final)
    assert first[-1].text == "아니요"
    assert not first[-1].continues
    # The rest of the stream is the next utterance, not lost, and it says it
    # goes on from the early end (it began well within rejoin_ms of it).
    second = [e async for e in listener.listen(chunks, grammar=GRAMMAR, complete=complete)]
    assert isinstance(second[-1], Final)
    assert second[-1].text == "안녕하세요"
    assert second[-1].continues


async def test_a_continuation_is_judged_by_the_continued_predicate_not_alone(
    ko: VoskTranscriber, no_then_hello: Path
) -> None:
    listener = Listener(ko, EndpointConfig())
    chunks = _stream(no_then_hello)
    async for _event in listener.listen(
        chunks, grammar=GRAMMAR, complete=lambda text: text == "아니요"
    ):
        pass
    alone: list[str] = []
    going_on: list[str] = []

    def complete(text: str) -> bool:
        alone.append(text)
        return False  # alone, the rest answers nothing: it would wait the long pause

    def continued(text: str) -> bool:
        going_on.append(text)  # the dialog judges it after the first part's words
        return text == "안녕하세요"

    second = [
        e
        async for e in listener.listen(
            chunks, grammar=GRAMMAR, complete=complete, complete_continued=continued
        )
    ]
    final = second[-1]
    assert isinstance(final, Final)
    assert final.continues
    assert final.text == "안녕하세요"
    assert "안녕하세요" in going_on
    assert not alone
    assert listener.ended_early  # the continued predicate held: the short pause ended it
    await listener.drain()


@pytest.mark.parametrize(
    ("config", "early"),
    [
        pytest.param(EndpointConfig(rejoin_ms=0), True, id="rejoin-off"),
        pytest.param(EndpointConfig(rejoin_ms=100), True, id="pause-longer-than-the-window"),
        pytest.param(EndpointConfig(), False, id="no-early-end"),
    ],
)
async def test_speech_after_a_pause_continues_nothing_unless_an_early_end_was_just_before(
    ko: VoskTranscriber, no_then_hello: Path, config: EndpointConfig, early: bool
) -> None:
    listener = Listener(ko, config)
    chunks = _stream(no_then_hello)
    finals: list[Final] = []
    for _ in range(2):
        async for event in listener.listen(
            chunks, grammar=GRAMMAR, complete=lambda text: early and text == "아니요"
        ):
            if isinstance(event, Final):
                finals.append(event)
    if early:
        assert [f.text for f in finals] == ["아니요", "안녕하세요"]
    else:  # the long pause kept one utterance; the stream's end is the second
        assert finals[0].text == "아니요 안녕하세요"
    assert not any(f.continues for f in finals)


async def test_without_a_complete_partial_the_long_pause_keeps_one_utterance(
    ko: VoskTranscriber, no_then_hello: Path
) -> None:
    listener = Listener(ko, EndpointConfig())
    events = [
        e
        async for e in listener.listen(
            _stream(no_then_hello), grammar=GRAMMAR, complete=lambda _text: False
        )
    ]
    final = events[-1]
    assert isinstance(final, Final)
    assert final.text == "아니요 안녕하세요"


class FinishCounting(CountingTranscriber):
    """Counts the recognizer flushes (``finish``) of its sessions too."""

    def __init__(self, inner: VoskTranscriber) -> None:
        super().__init__(inner)
        self.finished = 0

    def open_session(self, grammar: object = None, *, alternatives: int | None = None) -> object:
        session = super().open_session(grammar, alternatives=alternatives)
        outer = self
        finish = session.finish  # type: ignore[attr-defined]

        def counted() -> Final:
            outer.finished += 1
            return finish()  # type: ignore[no-any-return]

        session.finish = counted  # type: ignore[attr-defined]
        return session


async def test_an_utterance_ended_early_has_its_complete_partial_as_final_without_a_flush(
    ko: VoskTranscriber, no_then_hello: Path
) -> None:
    counting = FinishCounting(ko)
    listener = Listener(counting, EndpointConfig())  # type: ignore[arg-type]
    chunks = _stream(no_then_hello)
    events = [
        e
        async for e in listener.listen(
            chunks, grammar=GRAMMAR, complete=lambda text: text == "아니요"
        )
    ]
    final = events[-1]
    assert isinstance(final, Final)
    assert final.text == "아니요"
    assert [h.text for h in final.alternatives] == ["아니요"]
    assert counting.finished == 0  # the reply need not wait for the recognizer
    await listener.drain()  # its decoder is handed back in the background


async def test_the_wake_spotter_still_gets_the_recognizers_final_after_an_early_end(
    ko: VoskTranscriber, no_then_hello: Path
) -> None:
    counting = FinishCounting(ko)
    listener = Listener(counting, EndpointConfig())  # type: ignore[arg-type]
    events = [
        e
        async for e in listener.listen(
            _stream(no_then_hello),
            grammar=GRAMMAR,
            complete=lambda text: text == "아니요",
            partial_final=False,
        )
    ]
    final = events[-1]
    assert isinstance(final, Final)
    assert final.text == "아니요"
    assert final.words  # with the words' confidences
    assert counting.finished == 1
