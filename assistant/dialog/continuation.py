"""When the driver goes on after an early end: join, absorb, or a new turn.

An utterance that ended early on a short pause ("no", "yes", "the first
one") was answered at once. If the driver then goes on within ``[asr]
rejoin_ms`` ("no | to Li Na", "yes | please"), the listener marks the next
final as a continuation, and the runner decides here what it means:

* **join**: the answer did nothing but talk, ask and look things up (no
  backend action that changes anything), so the dialog goes back to before
  it and hears both parts as one utterance, as if the long pause had kept
  them together ("no to Li Na" corrects the recipient instead of becoming
  the body of a new message; "am I free | tomorrow" asks about tomorrow);
* **absorb**: the answer did something (a message went out), and what
  followed adds nothing to it ("yes | please": the joined words mean the
  same), so it is no turn of its own; the reply is said again only if the
  continuation cut it off (a barge-in), never after it was heard to the end;
* otherwise it is a turn of its own, like any utterance.

Pure functions on parses; :class:`~assistant.dialog.runner.DialogRunner`
keeps the answer that may be continued and applies the decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.dialog.actions import DialogAction, FetchEvents, FetchUnread, MarkRead
from assistant.dialog.state import DialogState
from assistant.models import Hypothesis
from intents.result import ParseResult

#: Backend actions that change nothing: a turn that did no other can be taken back.
_READ_ONLY = (FetchUnread, FetchEvents)
#: What the driver said: typed text or an ASR n-best list.
Heard = str | Sequence[Hypothesis]


@dataclass(frozen=True, slots=True)
class Answered:
    """The last driver turn, kept while the next utterance may continue it."""

    #: The dialog state and answer window before the turn (to go back to; the
    #: window is the runner's, which this module must not import).
    before: tuple[DialogState, object]
    #: The dialog state right after it: going back is only right if nothing
    #: else (a timeout, an incoming message) stepped the dialog since.
    after: DialogState
    transcript: str
    parse: ParseResult
    replies: tuple[str, ...]
    actions: tuple[DialogAction, ...]
    #: Whether its :class:`MarkRead` actions are held, not yet carried out
    #: (the runner's ``hold_marks``): then they can be forgotten on a join.
    marks_held: bool = False
    #: Whether the driver talked over its replies (a barge-in stopped them):
    #: then a continuation it absorbs has them said again, else not.
    cut_off: bool = False

    @property
    def revocable(self) -> bool:
        """Whether the turn only talked, looked up (or holds its marks): nothing to undo."""
        undoable = (*_READ_ONLY, MarkRead) if self.marks_held else _READ_ONLY
        return all(isinstance(action, undoable) for action in self.actions)


def joined(first: str, heard: Heard) -> Heard:
    """``heard`` (a transcript or an n-best list) after ``first``, as one utterance."""
    if isinstance(heard, str):
        return f"{first} {heard}".strip()
    return tuple(
        Hypothesis(f"{first} {h.text}".strip(), score=h.score, words=()) for h in heard
    ) or (Hypothesis(first),)


def adds_nothing(answer: ParseResult, together: ParseResult) -> bool:
    """Whether a continuation leaves ``answer`` as it was.

    ``together`` is the parse of both parts joined, in the answer's context:
    the joined words must mean what the answer meant ("yes please", "yes
    send it"). A continuation that means something else, or nothing the
    parser knows, stays a turn of its own: the driver hears it was not
    understood rather than have it dropped.
    """
    return together.intent is answer.intent and dict(together.slots) == dict(answer.slots)
