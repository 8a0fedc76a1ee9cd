"""Open recognition through the recognizer pool, with the real Korean model.

What a pooled (reused) recognizer must keep: each session's own transcript,
word times from zero, audio buffered while every decoder is busy decoded in
full, and no recognizer leaked whatever happens to the session.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from assistant.asr import (
    AsyncSession,
    Event,
    Final,
    Listener,
    Partial,
    SpeechEnded,
    VoskTranscriber,
    transcriber_from_settings,
)
from assistant.asr import vosk_session as vosk_session_module
from assistant.asr.decoder import Decoder
from assistant.asr.results import parse_result
from assistant.asr.vosk_engine import decoder_pool, new_decoder_pool
from assistant.asr.vosk_session import VoskSession
from assistant.audio import ChunkReader, EndpointConfig, open_audio
from assistant.config import load_settings
from assistant.errors import ASRError
from tests.assistant.audio.wavgen import silence_then

pytestmark = [pytest.mark.vosk, pytest.mark.espeak]

#: One decoding frame of the Korean model (3 x 10 ms): the precision of word times.
FRAME = 0.03
PROMPT = 60.0


def chunks_of(path: Path, chunk_ms: int = 100) -> list[bytes]:
    with open_audio(path) as source:
        return list(ChunkReader(source, 16000, chunk_ms=chunk_ms))


@pytest.fixture(scope="module")
def alone(ko: VoskTranscriber, speech: dict[str, Path]) -> dict[str, Final]:
    """Every phrase decoded by itself on a fresh, private recognizer: the reference."""
    found = {}
    for key, path in speech.items():
        transcriber = VoskTranscriber(ko.model, alternatives=3, pool=new_decoder_pool(ko.model, 1))
        found[key] = decode(transcriber.open_session(), chunks_of(path))
    return found


def decode(session: VoskSession, chunks: list[bytes]) -> Final:
    try:
        for chunk in chunks:
            session.accept(chunk)
        return session.finish()
    finally:
        session.close()


def pooled(ko: VoskTranscriber, size: int, wait: float = PROMPT) -> VoskTranscriber:
    """A transcriber with a private pool of ``size`` (the shared one stays untouched)."""
    return VoskTranscriber(
        ko.model, alternatives=3, pool=new_decoder_pool(ko.model, size), decoder_wait=wait
    )


def same_words(a: Final, b: Final) -> bool:
    return [w.word for w in a.words] == [w.word for w in b.words] and all(
        abs(x.start - y.start) <= FRAME and abs(x.end - y.end) <= FRAME
        for x, y in zip(a.words, b.words, strict=True)
    )


def assert_same(final: Final | Exception, reference: Final) -> None:
    """Same best transcript, same word times within a frame.

    Not the n-best scores: libvosk is not bit-reproducible, two fresh
    recognizers on the same audio give likelihoods differing by ~1 %.
    """
    assert isinstance(final, Final), final
    assert final.text == reference.text
    assert same_words(final, reference)


# -- reuse: vosk's own behaviour, then ours ---------------------------------------


def test_a_reused_vosk_recognizer_counts_word_times_from_its_very_first_sample(
    ko: VoskTranscriber, speech: dict[str, Path]
) -> None:
    decoder = Decoder.create(ko.model.handle, 16000)
    pcm = b"".join(chunks_of(speech["hello"]))
    rounds = []
    for _ in range(2):
        offset = decoder.offset
        decoder.configure(1)
        decoder.accept(pcm)
        raw = decoder.final()
        rounds.append((parse_result(raw), parse_result(raw, offset)))
    (fresh, _), (reused_raw, reused) = rounds
    assert reused_raw[0].words[0].start >= len(pcm) / 2 / 16000  # vosk's times accumulate
    assert [w.word for w in fresh[0].words] == [w.word for w in reused[0].words]
    assert [w.start for w in fresh[0].words] == pytest.approx(
        [w.start for w in reused[0].words], abs=FRAME
    )


def test_a_round_ended_in_vosk_endpoint_state_is_finalized_before_reuse(
    ko: VoskTranscriber, speech: dict[str, Path], alone: dict[str, Final]
) -> None:
    # Without Decoder.final()'s zero-sample feed, vosk's FinalResult() in this
    # state returns "" without finalizing, and the next round continues the old
    # feature pipeline: another transcript, word times starting before zero.
    padded = bytes(32000) + b"".join(chunks_of(speech["hello"])) + bytes(96000)
    decoder = Decoder.create(ko.model.handle, 16000)
    decoder.configure(3)
    for start in range(0, len(padded), 3200):
        if decoder.accept(padded[start : start + 3200]) is not None:
            break  # stop feeding in vosk's endpoint state
    else:
        pytest.fail("vosk's endpointer never fired")
    assert parse_result(decoder.final()) == ()
    offset = decoder.offset
    decoder.configure(3)
    for chunk in chunks_of(speech["hello"]):
        decoder.accept(chunk)
    best = parse_result(decoder.final(), offset)[0]
    assert_same(Final(text=best.text, words=best.words), alone["hello"])


def test_word_times_start_at_zero_on_a_reused_recognizer(
    ko: VoskTranscriber, speech: dict[str, Path], alone: dict[str, Final]
) -> None:
    transcriber = pooled(ko, 1)
    finals = [decode(transcriber.open_session(), chunks_of(speech[k])) for k in ("cancel", "hello")]
    assert transcriber.pool.made == 1
    assert_same(finals[1], alone["hello"])
    assert finals[1].words[0].start < 0.5


def test_abandoning_an_utterance_midway_leaves_nothing_for_the_next_borrower(
    ko: VoskTranscriber, speech: dict[str, Path], alone: dict[str, Final]
) -> None:
    transcriber = pooled(ko, 1)
    halfway = transcriber.open_session()
    cancel = chunks_of(speech["cancel"])
    for chunk in cancel[: len(cancel) // 2]:
        halfway.accept(chunk)
    halfway.close()  # a car hanging up mid-word
    assert transcriber.pool.idle == 1
    assert_same(decode(transcriber.open_session(), chunks_of(speech["hello"])), alone["hello"])


# -- the bound, with more sessions than decoders -----------------------------------


def test_more_concurrent_sessions_than_decoders_each_get_their_own_transcript(
    ko: VoskTranscriber, speech: dict[str, Path], alone: dict[str, Final]
) -> None:
    transcriber = pooled(ko, 2)
    keys = ["yes", "no", "cancel", "hello", "hello"]
    results: dict[int, Final | Exception] = {}
    most_alive = 0

    def run(index: int, key: str) -> None:
        try:
            results[index] = decode(transcriber.open_session(), chunks_of(speech[key]))
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, k)) for i, k in enumerate(keys)]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        most_alive = max(most_alive, transcriber.pool.live)
        time.sleep(0.002)
    assert most_alive <= 2
    assert transcriber.pool.made <= 2
    for index, key in enumerate(keys):
        assert_same(results[index], alone[key])


async def test_async_sessions_beyond_the_pool_size_all_finish(
    ko: VoskTranscriber, speech: dict[str, Path], alone: dict[str, Final]
) -> None:
    transcriber = pooled(ko, 1)
    threads = threading.active_count()
    keys = ["yes", "cancel", "hello"]

    async def recognize(key: str) -> str:
        async with await AsyncSession.open(transcriber) as session:
            for chunk in chunks_of(speech[key]):
                await session.accept(chunk)
                await asyncio.sleep(0)  # interleave the streams
            return (await session.finish()).text

    texts = await asyncio.gather(*(recognize(k) for k in keys))
    assert texts == [alone[k].text for k in keys]
    assert transcriber.pool.made == 1
    assert threading.active_count() == threads


def test_a_waiting_sessions_audio_is_buffered_then_decoded_in_full(
    ko: VoskTranscriber, speech: dict[str, Path], alone: dict[str, Final]
) -> None:
    transcriber = pooled(ko, 1)
    holder, waiter = transcriber.open_session(), transcriber.open_session()
    holder.accept(chunks_of(speech["yes"])[0])
    assert holder.holds_decoder
    hello = chunks_of(speech["hello"])
    assert all(waiter.accept(chunk) == [] for chunk in hello)  # never blocks, no partials
    assert not waiter.holds_decoder
    assert waiter.buffered_seconds == pytest.approx(len(b"".join(hello)) / 32000)
    holder.close()
    final = waiter.finish()
    waiter.close()
    assert_same(final, alone["hello"])


def test_the_waiting_session_takes_over_at_its_next_chunk(
    ko: VoskTranscriber, speech: dict[str, Path], alone: dict[str, Final]
) -> None:
    transcriber = pooled(ko, 1)
    holder, waiter = transcriber.open_session(), transcriber.open_session()
    holder.accept(chunks_of(speech["yes"])[0])
    hello = chunks_of(speech["hello"])
    waiter.accept(hello[0])
    holder.finish()
    partials = [p for chunk in hello[1:] for p in waiter.accept(chunk)]
    assert waiter.holds_decoder
    assert partials
    assert_same(decode(waiter, []), alone["hello"])
    holder.close()


@pytest.fixture
def small_backlog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vosk_session_module, "BACKLOG_SECONDS", 0.3)


@pytest.mark.usefixtures("small_backlog")
def test_a_full_backlog_waits_for_a_decoder_then_times_out_clearly(
    ko: VoskTranscriber, speech: dict[str, Path]
) -> None:
    transcriber = pooled(ko, 1, wait=0.2)
    holder, waiter = transcriber.open_session(), transcriber.open_session()
    holder.accept(chunks_of(speech["yes"])[0])
    hello = chunks_of(speech["hello"])
    for chunk in hello[:3]:
        waiter.accept(chunk)
    with pytest.raises(ASRError, match=r"all 1 speech decoders are busy.*\[asr\] decoders"):
        waiter.accept(hello[3])
    with pytest.raises(ASRError, match="busy"):
        waiter.finish()
    holder.close()
    waiter.close()
    assert (transcriber.pool.live, transcriber.pool.idle, transcriber.pool.waiting) == (1, 1, 0)


@pytest.mark.usefixtures("small_backlog")
def test_a_full_backlog_resumes_when_a_decoder_frees(
    ko: VoskTranscriber, speech: dict[str, Path], alone: dict[str, Final]
) -> None:
    transcriber = pooled(ko, 1)
    holder, waiter = transcriber.open_session(), transcriber.open_session()
    holder.accept(chunks_of(speech["yes"])[0])
    releaser = threading.Timer(0.5, holder.close)
    releaser.start()
    final = decode(waiter, chunks_of(speech["hello"]))  # blocks at the 4th chunk
    releaser.join()
    assert_same(final, alone["hello"])


async def test_the_listener_endpoints_in_real_time_while_it_waits_for_a_decoder(
    ko: VoskTranscriber, speech: dict[str, Path], tmp_path: Path
) -> None:
    padded = silence_then(tmp_path / "hello.wav", speech["hello"], 0.5, 1.5)

    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks_of(padded):
            yield chunk

    transcriber = pooled(ko, 1)
    listener = Listener(transcriber, EndpointConfig(trailing_silence_ms=500))
    unhindered = [e async for e in listener.listen(stream())][-1]
    holder = transcriber.open_session()
    holder.accept(chunks_of(speech["yes"])[0])  # the only decoder is busy
    events: list[Event] = []
    async for event in listener.listen(stream()):
        events.append(event)
        if isinstance(event, SpeechEnded):  # heard although nothing was decoded yet
            assert not any(isinstance(e, Partial) for e in events)
            asyncio.get_running_loop().call_later(0.1, holder.close)
    assert [e.type for e in events] == ["speech_started", "speech_ended", "final"]
    final = events[-1]
    assert isinstance(final, Final)
    assert isinstance(unhindered, Final)
    assert_same(final, unhindered)


class Feed:
    """A live stream like the server's: chunks as they are pushed, waiting when none are."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def __aiter__(self) -> Feed:
        return self

    async def __anext__(self) -> bytes:
        return await self.queue.get()


async def test_a_stream_that_stalls_mid_utterance_gives_its_decoder_back(
    ko: VoskTranscriber, speech: dict[str, Path], tmp_path: Path
) -> None:
    padded = silence_then(tmp_path / "hello.wav", speech["hello"], 0.5, 1.5)
    chunks = chunks_of(padded)
    transcriber = pooled(ko, 1)
    listener = Listener(transcriber, EndpointConfig(trailing_silence_ms=500), stall_seconds=0.5)
    feed = Feed()
    for chunk in chunks[:9]:  # 0.5 s of silence, then the start of the word
        feed.queue.put_nowait(chunk)
    events = [e async for e in listener.listen(feed)]  # then the car's audio stops
    assert [e.type for e in events if not isinstance(e, Partial)] == [
        "speech_started",
        "speech_ended",
        "final",
    ]
    ended = next(e for e in events if isinstance(e, SpeechEnded))
    assert ended.reason == "end_of_stream"
    assert (transcriber.pool.live, transcriber.pool.idle) == (1, 1)
    for chunk in chunks:  # the stream resumes: the next utterance is heard as usual
        feed.queue.put_nowait(chunk)
    again = [e async for e in listener.listen(feed)]
    assert isinstance(again[-1], Final)
    assert again[-1].text


async def test_a_stream_trickling_slower_than_real_time_gives_its_decoder_back(
    ko: VoskTranscriber, speech: dict[str, Path], tmp_path: Path
) -> None:
    padded = silence_then(tmp_path / "hello.wav", speech["hello"], 0.5, 1.5)
    chunks = chunks_of(padded, chunk_ms=20)
    transcriber = pooled(ko, 1)
    config = EndpointConfig(trailing_silence_ms=500, max_utterance_s=1.0)
    listener = Listener(transcriber, config, stall_seconds=0.5)

    async def trickle() -> AsyncIterator[bytes]:
        sent = 0
        for chunk in chunks:
            if sent >= 0.8 * 16000 * 2:  # after 0.5 s of silence and 0.3 s of speech in time,
                await asyncio.sleep(0.4)  # a chunk every 0.4 s: never a 0.5 s stall
            sent += len(chunk)
            yield chunk

    events = [e async for e in listener.listen(trickle())]
    ended = next(e for e in events if isinstance(e, SpeechEnded))
    # Neither trailing silence (10 s away at this pace) nor the 1 s maximum
    # length (20 s away) ended it: the wall-clock limit of 2 x 1 s + 0.5 s did.
    assert ended.reason == "end_of_stream"
    assert ended.time < 1.0
    assert isinstance(events[-1], Final)
    assert (transcriber.pool.live, transcriber.pool.idle) == (1, 1)


# -- closing never leaks a decoder ---------------------------------------------------


def test_interrupting_a_wait_in_finish_ends_it_without_a_leak(
    ko: VoskTranscriber, speech: dict[str, Path]
) -> None:
    transcriber = pooled(ko, 1)
    holder, waiter = transcriber.open_session(), transcriber.open_session()
    holder.accept(chunks_of(speech["yes"])[0])
    waiter.accept(chunks_of(speech["no"])[0])
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(_outcome(waiter.finish)))
    thread.start()
    deadline = time.monotonic() + PROMPT
    while transcriber.pool.waiting == 0 and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    waiter.interrupt()  # from another thread, as AsyncSession.aclose does
    thread.join(PROMPT)
    assert not thread.is_alive()
    assert isinstance(out[0], ASRError)
    assert transcriber.pool.waiting == 0
    waiter.close()
    with pytest.raises(ASRError, match="closed"):
        waiter.accept(bytes(320))
    holder.close()
    assert (transcriber.pool.live, transcriber.pool.idle) == (1, 1)


async def test_aclose_while_finish_waits_returns_promptly_without_leaks(
    ko: VoskTranscriber, speech: dict[str, Path]
) -> None:
    transcriber = pooled(ko, 1)
    threads = threading.active_count()
    holder = transcriber.open_session()
    holder.accept(chunks_of(speech["yes"])[0])
    session = await AsyncSession.open(transcriber)
    await session.accept(chunks_of(speech["no"])[0])
    finishing = asyncio.ensure_future(session.finish())
    while transcriber.pool.waiting == 0:
        await asyncio.sleep(0.005)
    await asyncio.wait_for(session.aclose(), PROMPT)
    with pytest.raises(ASRError, match="closed"):
        await finishing
    holder.close()
    assert transcriber.pool.idle == 1
    assert threading.active_count() == threads


def test_a_decoding_error_discards_the_recognizer_and_frees_its_slot(
    ko: VoskTranscriber, speech: dict[str, Path], alone: dict[str, Final]
) -> None:
    transcriber = pooled(ko, 1)
    session = transcriber.open_session()
    session.accept(chunks_of(speech["yes"])[0])
    with pytest.raises(ASRError, match="vosk failed while decoding"):
        session.accept("not bytes!")  # type: ignore[arg-type]
    assert (transcriber.pool.live, session.holds_decoder) == (0, False)
    session.close()
    assert_same(decode(transcriber.open_session(), chunks_of(speech["hello"])), alone["hello"])


def test_a_session_that_heard_nothing_needs_no_decoder(ko: VoskTranscriber) -> None:
    transcriber = pooled(ko, 1)
    holder = transcriber.open_session()
    holder.accept(bytes(3200))
    idle = transcriber.open_session()
    assert idle.finish() == Final(text="")  # returns at once though the only decoder is busy
    idle.close()
    holder.close()


# -- one pool per model per process, sized by [asr] decoders ------------------------


@pytest.fixture
def restore_shared_pool(ko: VoskTranscriber) -> Iterator[None]:
    yield
    decoder_pool(ko.model, 0)  # back to the default for the tests that follow


@pytest.mark.usefixtures("restore_shared_pool")
def test_every_transcriber_of_a_model_shares_one_pool_sized_by_the_setting(
    ko: VoskTranscriber, ko_model_path: Path
) -> None:
    settings = load_settings(None, asr={"decoders": 1, "decoder_wait_s": 7})
    transcriber, _choice = transcriber_from_settings(settings, locale=None, model=ko_model_path)
    assert transcriber.pool is ko.pool
    assert transcriber.pool.size == 1
    assert transcriber.decoder_wait == 7
    assert VoskTranscriber(ko.model, decoders=3).pool is ko.pool
    assert ko.pool.size == 3
    assert VoskTranscriber.from_path(ko_model_path).pool.size == 3  # not asked: unchanged


def _outcome(call: Callable[[], object]) -> object:
    try:
        return call()
    except Exception as exc:
        return exc
