"""One driver turn, as the runner's :meth:`~assistant.dialog.runner.DialogRunner.hear` returns it.

Chat, the server and replay all read the same record: what was heard, how
it was understood, what the assistant said in answer, which backend actions
it carried out, and whether it now waits for an answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.dialog.actions import DialogAction
from intents.result import ParseResult


@dataclass(frozen=True, slots=True)
class Turn:
    """The outcome of one driver turn."""

    #: The best transcript of what the driver said ("" when nothing was said).
    transcript: str
    #: How it was understood (None: blank input, nothing was parsed).
    parse: ParseResult | None
    #: What the assistant said in answer, in order.
    replies: tuple[str, ...] = ()
    #: Backend actions the turn carried out (sends, reads, calendar changes), in order.
    actions: tuple[DialogAction, ...] = ()
    #: Whether the assistant asked something and waits for the answer.
    awaiting_answer: bool = False
    #: Whether the driver barged in while a reply was being spoken.
    interrupted: bool = False
    #: Whether this was the driver going on after an answer it left unchanged
    #: ("yes | please"): no turn of its own; ``replies`` are that answer's again.
    absorbed: bool = False

    @property
    def reply_text(self) -> str:
        """All replies as one spoken text."""
        return " ".join(r for r in self.replies if r)
