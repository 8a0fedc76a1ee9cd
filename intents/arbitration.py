"""The parser's final decision between the grammar and the statistical arbiter.

The grammar is precise where it matches and silent where it does not; the
arbiter (:mod:`intents.arbiter`) has read thousands of ways of speaking. The
rule, with thresholds chosen by leave-one-set-out cross-validation
(``scripts/train_arbiter.py``):

* the grammar found nothing at all and the arbiter is sure of an in-domain
  intent: that intent, with the slots that can be filled (:mod:`intents.rescue`);
  an action (send, create, cancel) needs ``accept_action``, a question (read,
  calendar, contact: nothing leaves the car) only ``accept_question``. The dialog
  asks for what is missing and reads back before anything is done;
* the grammar would act and the arbiter is sure (``reject``) the words are out
  of domain: nothing is done;
* the grammar asked one question and the arbiter is sure (``override``) it is
  another question (messages rather than the calendar): the arbiter's; sure
  (``promote``) it is an action ("schedule a follow up with he jun in two
  weeks" is no calendar question): the action, which the dialog reads back;
* otherwise the grammar's reading stands, its explicit out-of-domain readings
  ("call li wei", "navigate home") included.
"""

from __future__ import annotations

from assistant.models import ACTION_INTENTS, Intent
from intents.arbiter import OUT_OF_DOMAIN, Thresholds, Verdict

#: Intents that only ask: a wrong one costs an answer, never an action.
QUESTIONS = frozenset({Intent.READ_MESSAGES, Intent.QUERY_CALENDAR, Intent.QUERY_CONTACT})


def arbitrated_intent(
    intent: Intent, confidence: float, verdict: Verdict, thresholds: Thresholds
) -> Intent:
    """The intent the parser returns, given the grammar's and the arbiter's readings."""
    if intent in ACTION_INTENTS:
        return Intent.NONE if verdict.out_of_domain >= thresholds.reject else intent
    if verdict.label == OUT_OF_DOMAIN:
        return intent
    said = Intent(verdict.label)
    if intent is Intent.NONE and confidence == 0.0:
        needed = thresholds.accept_question if said in QUESTIONS else thresholds.accept_action
        return said if verdict.probability >= needed else intent
    if intent in QUESTIONS and said is not intent:
        needed = thresholds.override if said in QUESTIONS else thresholds.promote
        return said if verdict.probability >= needed else intent
    return intent
