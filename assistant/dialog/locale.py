"""The language the dialog is speaking in the step being taken.

``engine.step`` sets it from ``state.policy.locale`` for exactly the
duration of one step (:func:`speaking`), so the prompt catalogue and the
speech words (times, counts, names) answer in the conversation's language
without every helper having to pass the locale along. ``step`` stays pure:
what it says depends only on its arguments. Outside a step (tests, the
runner) the default is English.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from assistant.locales import Locale

_CURRENT: ContextVar[Locale] = ContextVar("drivetalk_dialog_locale", default="en")
_DIRECTORY: ContextVar[bool] = ContextVar("drivetalk_dialog_directory", default=True)


def current() -> Locale:
    """The locale of the step in progress (``"en"`` outside a step)."""
    return _CURRENT.get()


def has_directory() -> bool:
    """Whether names can be looked up in the step in progress (True outside a step)."""
    return _DIRECTORY.get()


@contextmanager
def speaking(locale: Locale, *, directory: bool = True) -> Iterator[None]:
    """Speak ``locale`` inside the ``with`` block (contexts nest and unwind).

    ``directory`` False: no directory is configured, so an unknown name is
    explained by that rather than by the name.
    """
    token = _CURRENT.set(locale)
    looked_up = _DIRECTORY.set(directory)
    try:
        yield
    finally:
        _DIRECTORY.reset(looked_up)
        _CURRENT.reset(token)
