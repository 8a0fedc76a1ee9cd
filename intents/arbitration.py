"""The parser's final decision between the grammar and the statistical arbiter.

The grammar is precise where it matches and silent where it does not; the
arbiter (:mod:`intents.arbiter`) has read thousands of ways of speaking. The
rule, with thresholds chosen by leave-one-set-out cross-validation
(``scripts/train_arbiter.py``):

* the grammar found nothing at all and the arbiter is sure of an in-domain
  intent: that intent, with the slots that can be filled (:mod:`intents.rescue`);
  an action (send, create, cancel) needs ``accept_action`` (a new event
  ``accept_create`` where the record sets it), a question (read, calendar,
  contact: nothing leaves the car) only ``accept_question``. The dialog
  asks for what is missing and reads back before anything is done;
* the grammar would act and the arbiter is sure (``reject``; for a reply or a
  new event ``reject_reply`` / ``reject_create`` where the record sets them)
  the words are out of domain: nothing is done; sure (``correct``) it was a question ("is my
  dentist still on for friday" read as a new event): the question, which
  never acts; sure (``switch``) it is another action (a cancel the grammar
  read as a creation): that action, which the dialog reads back before
  anything is done;
* the grammar asked one question and the arbiter is sure (``override``) it is
  another question (messages rather than the calendar): the arbiter's; sure
  (``promote``) it is an action ("schedule a follow up with he jun in two
  weeks" is no calendar question): the action, which the dialog reads back;
* the grammar matched one of its own out-of-domain templates and the arbiter
  is sure (``overrule``) of an in-domain intent: that intent ("send james
  wilson a thank you" is no request the assistant declines);
* otherwise the grammar's reading stands; and a reading the dialog has a flow
  of its own for is never changed (``held``): a phone call to someone named
  ("call li wei": the dialog offers a message instead) and a move of a meeting
  (a ``cancel_event`` with a ``move`` slot: the phrasing sets label moves as
  new events, and the model learnt that from them).
"""

from __future__ import annotations

from assistant.models import ACTION_INTENTS, Intent
from intents.arbiter import OUT_OF_DOMAIN, Thresholds, Verdict
from intents.result import ParseResult

#: Intents that only ask: a wrong one costs an answer, never an action.
QUESTIONS = frozenset({Intent.READ_MESSAGES, Intent.QUERY_CALENDAR, Intent.QUERY_CONTACT})


def arbitrated_intent(
    intent: Intent,
    confidence: float,
    verdict: Verdict,
    thresholds: Thresholds,
    *,
    held: bool = False,
) -> Intent:
    """The intent the parser returns, given the grammar's and the arbiter's readings.

    ``held``: the grammar read a call to someone named or a move (never changed).
    """
    if held:
        return intent
    if intent in ACTION_INTENTS:
        return _acting(intent, verdict, thresholds)
    if verdict.label == OUT_OF_DOMAIN:
        return intent
    said = Intent(verdict.label)
    if intent is Intent.NONE and confidence == 0.0:
        return said if verdict.probability >= accepting(said, thresholds) else intent
    if intent is Intent.NONE:
        return said if verdict.probability >= thresholds.overrule else intent
    if intent in QUESTIONS and said is not intent:
        needed = thresholds.override if said in QUESTIONS else thresholds.promote
        return said if verdict.probability >= needed else intent
    return intent


def _acting(intent: Intent, verdict: Verdict, thresholds: Thresholds) -> Intent:
    """The decision where the grammar would send, create or cancel."""
    if verdict.out_of_domain >= declining(intent, thresholds):
        return Intent.NONE
    if verdict.label == OUT_OF_DOMAIN:
        return intent
    said = Intent(verdict.label)
    if said is intent or (intent is Intent.REPLY_MESSAGE and said is Intent.SEND_MESSAGE):
        return intent  # a reply is a message the model does not tell apart
    needed = thresholds.correct if said in QUESTIONS else thresholds.switch
    return said if verdict.probability >= needed else intent


def accepting(said: Intent, thresholds: Thresholds) -> float:
    """How sure the model must be of ``said`` to take it where the grammar found nothing."""
    if said in QUESTIONS:
        return thresholds.accept_question
    if said is Intent.CREATE_EVENT and thresholds.accept_create is not None:
        return thresholds.accept_create
    return thresholds.accept_action


def declining(intent: Intent, thresholds: Thresholds) -> float:
    """How likely out of domain must be to decline the grammar's action ``intent``."""
    own = {
        Intent.REPLY_MESSAGE: thresholds.reject_reply,
        Intent.CREATE_EVENT: thresholds.reject_create,
    }.get(intent)
    return thresholds.reject if own is None else own


def held(result: ParseResult) -> bool:
    """Whether a reading is one the arbiter never changes (a call to someone named, a move)."""
    return "callee" in result.slots or (
        result.intent is Intent.CANCEL_EVENT and "move" in result.slots
    )
