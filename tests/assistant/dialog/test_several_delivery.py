"""Several recipients through the real runner, outbox and store: one entry each, outcomes told.

The local backend is made unreachable for one person and refusing for
another (as a server with one chat down and one closed would be): the
others get the message at once, the unreachable one is queued in the outbox
under its own key, the refused one is kept as a draft, and the driver hears
each outcome with the names it applies to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from assistant.compose import Session, open_conversation
from assistant.config import Settings
from assistant.dialog.sink import ShownAndSpoken
from assistant.errors import BackendUnavailableError, RejectedError
from assistant.models import OutgoingMessage, SendReceipt
from tests.assistant.dialog.test_scripts import FakeClock, Transcript, sent_since
from tests.conftest import NOW, ZONE


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[tuple[Session, Transcript]]:
    transcript = Transcript()
    fast = {"answer_within_s": 1.0, "base_delay_s": 0.05, "max_delay_s": 0.3}
    settings = Settings(
        data_dir=tmp_path, backend="local", outbox=fast, connectors={"local": {"seed_demo": True}}
    )
    speech = ShownAndSpoken(transcript.say)
    opened = await open_conversation(settings, zone=ZONE, clock=FakeClock(), speech=speech)
    yield opened, transcript
    await opened.aclose()


def failing_for(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Xu Jing's chat is unreachable, Zhang San's refuses; others go through."""
    connector: Any = session.connector
    send = connector.send

    async def sometimes(message: OutgoingMessage) -> SendReceipt:
        if message.recipient_id == "u-xu-jing":
            raise BackendUnavailableError("the server did not answer")
        if message.recipient_id == "u-zhang-san":
            raise RejectedError("the chat is closed")
        receipt: SendReceipt = await send(message)
        return receipt

    monkeypatch.setattr(connector, "send", sometimes)


async def test_one_outbox_entry_per_recipient_and_outcomes_told_per_recipient(
    session: tuple[Session, Transcript], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened, transcript = session
    failing_for(opened, monkeypatch)
    await opened.runner.hear(
        "send a message to li na and xu jing and zhang san saying the trucks are loaded"
    )
    assert transcript.take() == [
        "Here's your message to Li Na, Xu Jing and Zhang San: The trucks are loaded. Send it?"
    ]
    await opened.runner.hear("yes")
    (said,) = transcript.take()
    assert said.startswith("Sent to Li Na. I can't reach the server right now,")
    assert "your message to Xu Jing is queued" in said
    assert said.endswith(
        "I couldn't send your message to Zhang San: the chat is closed. I kept the draft."
    )
    assert [m["to"] for m in sent_since(opened, NOW)] == ["Li Na"]
    pending = opened.outbox.pending()
    assert [e.message.recipient_id for e in pending] == ["u-xu-jing"]
    assert pending[0].message.body == "The trucks are loaded"
    kept = opened.runner.state.kept_draft  # only the refused one; queued is never re-offered
    assert kept is not None
    assert kept.target is not None
    assert (kept.target.id, kept.also) == ("u-zhang-san", ())
