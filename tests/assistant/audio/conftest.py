"""Fixtures for the audio front end tests: leak checks."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest


def open_fds() -> int:
    """File descriptors this process has open."""
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def no_leaks() -> Iterator[None]:
    """Fail if the test leaves a thread or a file descriptor behind."""
    threads, fds = threading.active_count(), open_fds()
    yield
    assert threading.active_count() == threads
    assert open_fds() == fds
