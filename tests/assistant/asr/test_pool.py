"""The recognizer pool's logic (bound, FIFO, timeouts, cancelling) and the ``[asr] decoders`` key.

The pool is generic over what it lends, so these tests lend plain objects;
the same pool over real vosk recognizers is tested in ``test_pool_vosk``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.asr.pool import RecognizerPool
from assistant.asr.vosk_engine import decoders_for
from assistant.config import load_settings
from assistant.errors import ASRError, ConfigError

#: Generous bound for "promptly" on a loaded CI machine; never a timing assert.
PROMPT = 30.0


class Made:
    """What the test factory makes: a numbered recognizer stand-in."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.resets = 0


def counting_pool(size: int, reset: Callable[[Made], None] | None = None) -> RecognizerPool[Made]:
    made = iter(range(1, 1000))
    return RecognizerPool(lambda: Made(next(made)), size, reset=reset)


def in_thread(target: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """Run ``target`` in a thread; its result (or exception) lands in the list."""
    out: list[object] = []

    def run() -> None:
        try:
            out.append(target())
        except Exception as exc:
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PROMPT
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.005)


def test_never_more_than_size_exist_and_released_ones_are_reused() -> None:
    pool = counting_pool(2)
    a, b = pool.try_acquire(), pool.try_acquire()
    assert a is not None
    assert b is not None
    assert pool.try_acquire() is None
    assert pool.live == 2
    pool.release(a)
    again = pool.try_acquire()
    assert again is a
    assert pool.made == 2


def test_release_resets_the_recognizer_for_its_next_borrower() -> None:
    def reset(item: Made) -> None:
        item.resets += 1

    pool = counting_pool(1, reset)
    item = pool.acquire(timeout=1)
    pool.release(item)
    assert item.resets == 1
    assert pool.idle == 1


def test_a_recognizer_that_cannot_be_reset_is_discarded_and_its_slot_freed() -> None:
    def reset(item: Made) -> None:
        raise RuntimeError("state is suspect")

    pool = counting_pool(1, reset)
    first = pool.acquire(timeout=1)
    pool.release(first)
    assert (pool.live, pool.idle) == (0, 0)
    second = pool.acquire(timeout=1)
    assert second is not first
    assert pool.made == 2


def test_discard_frees_the_slot_for_a_new_recognizer() -> None:
    pool = counting_pool(1)
    first = pool.acquire(timeout=1)
    pool.discard(first)
    assert pool.live == 0
    assert pool.acquire(timeout=1).number == 2


def test_a_failing_factory_frees_its_slot() -> None:
    calls = 0

    def factory() -> Made:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ASRError("vosk could not create a recognizer")
        return Made(calls)

    pool = RecognizerPool(factory, 1)
    with pytest.raises(ASRError, match="could not create"):
        pool.acquire(timeout=1)
    assert pool.live == 0
    assert pool.acquire(timeout=1).number == 2


def test_try_acquire_never_overtakes_a_queued_ticket() -> None:
    pool = counting_pool(1)
    held = pool.acquire(timeout=1)
    ticket = pool.enqueue()
    assert pool.poll(ticket) is None
    pool.release(held)
    assert pool.try_acquire() is None  # the freed one is reserved for the ticket
    assert pool.poll(ticket) is held


def test_acquire_timeout_names_the_pool_size_and_the_setting() -> None:
    pool = counting_pool(2)
    pool.acquire(timeout=1), pool.acquire(timeout=1)
    with pytest.raises(ASRError, match=r"all 2 speech decoders are busy.*\[asr\] decoders"):
        pool.acquire(timeout=0.05)
    assert pool.waiting == 0  # the timed-out ticket left the queue


def test_blocked_waiters_are_served_first_come_first_served() -> None:
    pool = counting_pool(1)
    held = pool.acquire(timeout=1)
    order: list[int] = []
    threads = []
    for index in range(4):
        ticket = pool.enqueue()  # queue order fixed here, before the threads race

        def wait(ticket=ticket, index=index) -> None:  # type: ignore[no-untyped-def]
            item = pool.acquire(PROMPT, ticket)
            order.append(index)
            pool.release(item)

        threads.append(in_thread(wait)[0])
    pool.release(held)
    for thread in threads:
        thread.join(PROMPT)
    assert order == [0, 1, 2, 3]
    assert pool.made == 1


def test_no_caller_starves_under_contention() -> None:
    pool = counting_pool(2)
    served = [0] * 6
    stop = time.monotonic() + 1.0

    def worker(index: int) -> None:
        while time.monotonic() < stop or served[index] == 0:
            item = pool.acquire(PROMPT)
            served[index] += 1
            time.sleep(0.001)
            pool.release(item)

    threads = [in_thread(lambda i=i: worker(i))[0] for i in range(6)]  # type: ignore[misc]
    for thread in threads:
        thread.join(PROMPT * 2)
    assert all(count > 0 for count in served)
    assert pool.made <= 2
    assert pool.live <= 2


def test_cancelling_a_blocked_acquire_ends_it_and_passes_the_turn_on() -> None:
    pool = counting_pool(1)
    held = pool.acquire(timeout=1)
    first, second = pool.enqueue(), pool.enqueue()
    thread, out = in_thread(lambda: pool.acquire(PROMPT, first))
    wait_until(thread.is_alive)
    pool.cancel(first)
    thread.join(PROMPT)
    assert isinstance(out[0], ASRError)
    assert "closed while waiting" in str(out[0])
    pool.release(held)
    assert pool.poll(second) is held


def test_cancelling_a_granted_ticket_returns_what_it_was_given() -> None:
    pool = counting_pool(1)
    held = pool.acquire(timeout=1)
    ticket = pool.enqueue()
    pool.release(held)  # granted to the ticket, not claimed yet
    pool.cancel(ticket)
    assert pool.idle == 1
    assert pool.try_acquire() is held
    pool.cancel(ticket)  # twice is harmless


def test_shrinking_takes_effect_as_recognizers_come_back_and_growing_serves_waiters() -> None:
    pool = counting_pool(2)
    a, b = pool.acquire(timeout=1), pool.acquire(timeout=1)
    pool.resize(1)
    pool.release(a)
    assert (pool.live, pool.idle) == (1, 0)
    ticket = pool.enqueue()
    pool.resize(2)
    assert pool.poll(ticket) is not None
    assert pool.live == 2
    pool.release(b)


@pytest.mark.parametrize("size", [0, -1])
def test_a_pool_needs_a_positive_size(size: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        counting_pool(size)


# -- the [asr] decoders setting -------------------------------------------------


def test_zero_decoders_means_one_per_cpu_core() -> None:
    assert decoders_for(0) == os.cpu_count()
    assert decoders_for(3) == 3
    assert load_settings(None).asr.decoders == 0


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRIVETALK_ASR__DECODERS", raising=False)


@pytest.mark.usefixtures("no_env")
def test_decoders_is_read_from_the_config_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "drivetalk.toml"
    config.write_text("[asr]\ndecoders = 3\ndecoder_wait_s = 30\n")
    assert load_settings(config).asr.decoders == 3
    assert load_settings(config).asr.decoder_wait_s == 30
    monkeypatch.setenv("DRIVETALK_ASR__DECODERS", "4")
    assert load_settings(config).asr.decoders == 4


@pytest.mark.usefixtures("no_env")
@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("decoders", "-1"),
        ("decoders", '"many"'),
        ("decoders", "2.5"),
        ("decoder_wait_s", "0"),
        ("decoder_wait_s", "-5"),
        ("decoder_wait_s", '"long"'),
    ],
)
def test_a_bad_decoder_setting_is_a_clear_config_error(
    tmp_path: Path, key: str, value: str
) -> None:
    config = tmp_path / "drivetalk.toml"
    config.write_text(f"[asr]\n{key} = {value}\n")
    with pytest.raises(ConfigError, match=rf"'asr\.{key}'"):
        load_settings(config)
