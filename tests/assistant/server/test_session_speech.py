"""A server session's speech sink: replies stay in the turn, the rest waits for the client."""

from __future__ import annotations

from assistant.server.assembly import SessionSpeech


async def test_the_server_sink_keeps_only_unprompted_lines_and_the_latest() -> None:
    speech = SessionSpeech(keep=2)
    assert await speech.say("a reply", reply=True)
    for text in ("one", "two", "three"):
        assert await speech.say(text, reply=False)
    assert speech.take() == ("two", "three")
    assert speech.take() == ()
