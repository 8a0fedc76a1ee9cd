"""A session's claim on a recognizer pool: polling keeps its place, interrupt ends any wait.

Both engines' streaming sessions borrow through :class:`PoolClaim`; the pool
lends plain objects here, as in ``test_pool``.
"""

from __future__ import annotations

import pytest

from assistant.asr.claim import PoolClaim
from assistant.errors import ASRError
from tests.assistant.asr.test_pool import PROMPT, Made, counting_pool, in_thread, wait_until


def test_poll_lends_a_free_recognizer_at_once() -> None:
    pool = counting_pool(1)
    lent = PoolClaim(pool, PROMPT).poll()
    assert isinstance(lent, Made)
    assert pool.waiting == 0


def test_poll_on_a_busy_pool_takes_one_place_and_is_granted_the_next_release() -> None:
    pool = counting_pool(1)
    held = pool.acquire(timeout=1)
    claim = PoolClaim(pool, PROMPT)
    assert claim.poll() is None
    assert claim.poll() is None
    assert pool.waiting == 1  # polling again keeps the same place
    pool.release(held)
    assert claim.poll() is held


def test_acquire_keeps_the_place_a_poll_took() -> None:
    pool = counting_pool(1)
    held = pool.acquire(timeout=1)
    claim, other = PoolClaim(pool, PROMPT), PoolClaim(pool, PROMPT)
    assert claim.poll() is None
    thread, out = in_thread(other.acquire)
    wait_until(lambda: pool.waiting == 2)
    pool.release(held)
    assert claim.acquire() is held  # first in the queue, before the later waiter
    pool.release(held)
    thread.join(PROMPT)
    assert out == [held]


def test_cancel_gives_up_the_place_and_the_session_stays_open() -> None:
    pool = counting_pool(1)
    held = pool.acquire(timeout=1)
    claim = PoolClaim(pool, PROMPT)
    claim.poll()
    claim.cancel()
    assert pool.waiting == 0
    claim.check_open()
    pool.release(held)
    assert claim.poll() is held


def test_interrupt_from_another_thread_ends_a_blocked_acquire() -> None:
    pool = counting_pool(1)
    pool.acquire(timeout=1)
    claim = PoolClaim(pool, PROMPT)
    thread, out = in_thread(claim.acquire)
    wait_until(lambda: pool.waiting == 1)
    claim.interrupt()
    thread.join(PROMPT)
    assert isinstance(out[0], ASRError)
    assert pool.waiting == 0


@pytest.mark.parametrize("call", ["poll", "acquire", "check_open"])
def test_an_interrupted_claim_takes_no_new_place(call: str) -> None:
    pool = counting_pool(1)
    claim = PoolClaim(pool, PROMPT)
    claim.interrupt()
    with pytest.raises(ASRError, match="session is closed"):
        getattr(claim, call)()
    assert pool.waiting == 0
    assert pool.live == 0


def test_a_claim_without_a_pool_can_still_be_interrupted() -> None:
    claim: PoolClaim[Made] = PoolClaim(None, PROMPT)
    claim.cancel()
    claim.interrupt()
    with pytest.raises(ASRError, match="session is closed"):
        claim.check_open()
