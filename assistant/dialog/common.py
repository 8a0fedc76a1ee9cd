"""Building blocks every flow uses to answer: say, ask, finish.

A flow handler returns an :data:`Outcome`: the next state and the actions
to carry out. ``ask`` opens a numbered answer window (a :class:`Listen`),
``finish`` closes the task and leaves its last words in
``DialogState.closing``: the engine speaks them, leading whatever follows the
task (a reading resumed, delivery notices, queued announcements). Flows use
these helpers and never import one another; the engine moves between them.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from assistant.dialog.actions import DialogAction, Listen, Speak
from assistant.dialog.locale import current
from assistant.dialog.prompts import prompt, vocabulary
from assistant.dialog.state import DialogState, Question, Task, Waiting
from assistant.models import Intent, Message
from intents.result import Expect, ParseContext, ParseResult

Outcome = tuple[DialogState, tuple[DialogAction, ...]]

#: A "yes" that makes something leave the car must be heard this clearly;
#: a mumbled one is asked again rather than acted on.
MIN_YES_CONFIDENCE = 0.6

#: Which vocabulary and which timeout each kind of question uses.
_EXPECT_VOCABULARY = {
    Expect.YES_NO: "yes_no",
    Expect.CHOICE: "choice",
    Expect.BODY: "",
    Expect.CONTACT: "",
    Expect.TIME: "",
    Expect.TITLE: "",
    Expect.ANYTHING: "",
}


#: Spaces the flows put between sentences, where Chinese writes none.
_CJK_GAP = re.compile(r"(?<=[。！？，：；、…])\s+|\s+(?=[。！？，：；、])")


def spoken(text: str) -> str:
    """``text`` tidied for the dialog's language: Chinese sentences follow without spaces."""
    return _CJK_GAP.sub("", text) if current() == "zh" else text


def say(state: DialogState, *texts: str, **changes: Any) -> Outcome:
    """Speak ``texts`` (joined into one utterance) and update the state."""
    text = spoken(" ".join(t for t in texts if t))
    changes.setdefault("last_spoken", text or state.last_spoken)
    new = replace(state, **changes)
    return new, (Speak(text),) if text else ()


def ask(
    state: DialogState,
    text: str,
    waiting: Waiting,
    context: ParseContext,
    *,
    task: Task | None = None,
    vocab: tuple[str, ...] = (),
) -> Outcome:
    """Speak a question and open answer window number ``turn + 1``."""
    text = spoken(text)
    turn = state.turn + 1
    policy = state.policy
    timeout = policy.confirm_timeout if waiting in ("confirm", "offer") else policy.answer_timeout
    name = _EXPECT_VOCABULARY[context.expect]
    words = vocab or (vocabulary(name) if name else ())
    if context.expect is Expect.CHOICE:
        words = (*choice_phrases(context.choices), *words)
    new = replace(
        state,
        task=task if task is not None else state.task,
        waiting=waiting,
        turn=turn,
        last_spoken=text,
        question=Question(text, context, vocab),
    )
    return new, (Speak(text), Listen(turn, context, words, timeout))


def choice_phrases(choices: tuple[str, ...]) -> tuple[str, ...]:
    """What a driver may say to pick "Li Wei, Sales": "li wei in sales", "sales", ...

    In Chinese, for "李伟, 销售部": "销售部的李伟", "销售部的那个", "销售部".
    """
    phrases: list[str] = []
    zh = current() == "zh"
    for label in choices:
        parts = [part.strip().lower() for part in label.split(",") if part.strip()]
        if zh and len(parts) > 1:
            phrases += [f"{parts[1]}的{parts[0]}", f"{parts[1]}的那个", *parts[1:]]
        else:
            phrases += [" in ".join(parts), " ".join(parts), *parts[1:]]
    return tuple(dict.fromkeys(phrases))


def wait_for(state: DialogState, waiting: Waiting, task: Task, *actions: DialogAction) -> Outcome:
    """Start a connector action and wait for its result (no answer window)."""
    return replace(state, task=task, waiting=waiting, question=None), actions


def finish(state: DialogState, *texts: str, **changes: Any) -> Outcome:
    """End the current task; the engine speaks ``texts`` and what follows the task."""
    closing = tuple(t for t in texts if t)
    done = replace(state, task=None, waiting="", closing=closing, question=None, failures=0)
    return replace(done, **changes), ()


def help_for(state: DialogState) -> str:
    """The help sentence for the question being asked (or for the idle state)."""
    return prompt(f"help.{state.waiting or 'idle'}")


def unsure_yes(result: ParseResult) -> bool:
    """A confirmation heard too unclearly to act on."""
    return result.intent is Intent.CONFIRM and result.confidence < MIN_YES_CONFIDENCE


def is_group_message(message: Message) -> bool:
    """A message in a group chat (a direct chat is named after the other person)."""
    return bool(message.conversation_name) and message.conversation_name != message.sender_name


def sentence_case(text: str) -> str:
    """Dictated text starts lower-case; a written message starts with a capital."""
    text = " ".join(text.split())
    return text[:1].upper() + text[1:]


def next_day_same_time(when: datetime, now: datetime) -> datetime | None:
    """For a timed moment already past, the first day after it at that time; else None.

    A bare day ("today", midnight) is never past: it is the whole day.
    """
    local = when.astimezone(now.tzinfo)
    if when >= now or (local.hour, local.minute) == (0, 0):
        return None
    days = (now - when).days + 1
    return when + timedelta(days=days)


def p(key: str, **values: Any) -> str:
    """Shorthand for :func:`assistant.dialog.prompts.prompt`."""
    return prompt(key, **values)
