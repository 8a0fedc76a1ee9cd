"""Fixtures for the audio front end tests: leak checks."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

#: How long a descriptor or thread of someone else's may take to go away. A
#: background thread left by an earlier test (a speech worker, an event loop)
#: can open and close a file at any moment; a real leak never goes away.
SETTLE_SECONDS = 2.0


def open_fds() -> dict[int, str]:
    """File descriptors this process has open, with what each points to."""
    found: dict[int, str] = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            found[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:  # closed between listing and reading: not open any more
            continue
    return found


def _new_fds(before: dict[int, str]) -> dict[int, str]:
    return {fd: target for fd, target in open_fds().items() if before.get(fd) != target}


def _new_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t not in before]


@pytest.fixture
def no_leaks() -> Iterator[None]:
    """Fail if the test leaves a thread or a file descriptor behind."""
    threads, fds = set(threading.enumerate()), open_fds()
    yield
    deadline = time.monotonic() + SETTLE_SECONDS
    while (_new_fds(fds) or _new_threads(threads)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _new_threads(threads) == []
    assert _new_fds(fds) == {}
