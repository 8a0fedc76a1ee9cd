"""The one espeak worker per process: never two beside each other, one engine for good.

espeak is not thread-safe, and a pyttsx3 engine built anew swaps espeak's
one C callback under whatever synthesis is still running: either crashes
the whole process (a segfault seen once in a test run). These tests hold
the rules that prevent it, by looking at the worker and the engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

import assistant.tts.synth as synth_module
from assistant.errors import TTSError
from assistant.tts import Synthesizer, Voice

pytestmark = pytest.mark.espeak

#: Generous bound on waits for another thread: reached only when something is broken.
PATIENCE = 60.0


def tts_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "drivetalk-tts" and t.is_alive()]


@pytest.fixture
def acquired(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every worker the pool hands out, in order (and the tts threads alive at that moment)."""
    seen: list[Any] = []
    original = synth_module._POOL.acquire

    def spy() -> Any:
        worker = original()
        seen.append((worker, tts_threads()))
        return worker

    monkeypatch.setattr(synth_module._POOL, "acquire", spy)
    return seen


def wait_until(done: Callable[[], bool], thread: threading.Thread) -> None:
    """Until ``done()`` holds (another thread's doing), checking while ``thread`` runs."""
    for _ in range(int(PATIENCE / 0.01)):
        if done():
            return
        thread.join(0.01)
    raise AssertionError("the other thread never got there")


def blocking_job(started: threading.Event, gate: threading.Event) -> Callable[[Any], str]:
    def job(_engine: Any) -> str:
        started.set()
        assert gate.wait(PATIENCE)
        return threading.current_thread().name

    return job


def test_a_synthesizer_opened_while_the_last_one_drains_takes_that_worker_over(
    acquired: list[Any],
) -> None:
    # The first synthesizer's job is still rendering when it is closed and a
    # new synthesizer starts: the new one must queue behind that job on the
    # same worker, not start a second worker (and engine) beside it.
    first = Synthesizer(Voice())
    first.start()
    started, gate = threading.Event(), threading.Event()
    rendering = threading.Thread(target=first._call, args=(blocking_job(started, gate),))
    rendering.start()
    assert started.wait(PATIENCE)
    users = synth_module._POOL._users
    closing = threading.Thread(target=first.close)
    closing.start()
    wait_until(lambda: synth_module._POOL._users == users - 1, closing)
    second = Synthesizer(Voice(rate=200))
    opening = threading.Thread(target=second.start)
    opening.start()
    try:
        wait_until(lambda: len(acquired) == 2, opening)  # the first start, then the second's
        (old, _), (new, alive) = acquired
        assert new is old
        assert alive == [old.thread]
    finally:
        gate.set()
        for thread in (rendering, closing, opening):
            thread.join(PATIENCE)
    try:
        assert second.synthesize("Sent.").pcm
    finally:
        second.close()


def test_a_restarted_worker_reuses_the_process_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    synth = Synthesizer(Voice())
    synth.synthesize("Sent.")
    synth.close()
    opened: list[object] = []
    monkeypatch.setattr(synth_module, "_open_engine", lambda: opened.append(1))
    for _ in range(3):  # stop and start the worker: the engine is never built again
        again = Synthesizer(Voice(rate=150))
        try:
            assert again.synthesize("Sent to Li Wei.").pcm
        finally:
            again.close()
    assert opened == []


def test_the_worker_stops_when_the_last_synthesizer_closes() -> None:
    synth = Synthesizer(Voice())
    synth.start()
    worker = synth._worker
    assert worker is not None
    synth.close()
    worker.thread.join(PATIENCE)
    assert not worker.thread.is_alive()
    assert tts_threads() == []


def test_work_handed_to_a_closed_synthesizer_is_a_clear_error_and_leaves_the_worker_stopped(
    acquired: list[Any],
) -> None:
    # e.g. a reply's next sentence still on its way to the worker when the
    # speaker closed: it must not start a worker nobody will ever close.
    synth = Synthesizer(Voice())
    synth.start()
    synth.close()
    with pytest.raises(TTSError, match="synthesizer was closed"):
        synth.synthesize("Sent to Li Wei.")
    with pytest.raises(TTSError, match="synthesizer was closed"):
        synth._call(lambda _engine: None)
    assert len(acquired) == 1
    synth.start()  # opened again on purpose
    try:
        assert synth.synthesize("Sent.").pcm
    finally:
        synth.close()


def test_many_threads_opening_and_closing_synthesizers_never_run_two_workers(
    acquired: list[Any],
) -> None:
    def user(rate: int) -> None:
        for _ in range(10):
            synth = Synthesizer(Voice(rate=rate))
            try:
                assert synth.synthesize("Next.").pcm
            finally:
                synth.close()

    users = [threading.Thread(target=user, args=(150 + 20 * k,)) for k in range(4)]
    for thread in users:
        thread.start()
    for thread in users:
        thread.join(PATIENCE)
    assert len(acquired) == 40
    assert all(len(alive) == 1 and alive[0] is worker.thread for worker, alive in acquired)
