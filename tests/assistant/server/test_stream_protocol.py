"""The stream protocol's pieces: start validation, the resumable audio feed, the send queue."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from assistant.audio.formats import PcmFormat, SampleFormat
from assistant.config import ServerLimits
from assistant.server.stream_protocol import (
    AudioFeed,
    Outgoing,
    ProtocolError,
    check_frame,
    parse_json,
    parse_start,
)


def start(**fields: Any) -> dict[str, Any]:
    return {"type": "start", "format": {"rate": 48000, "channels": 2, "sample": "f32le"}, **fields}


def test_a_valid_start_declares_format_mode_and_key() -> None:
    parsed = parse_start(start(mode="push_to_talk", key="dtk_x"))
    assert parsed.format == PcmFormat(48000, 2, SampleFormat.F32)
    assert parsed.push_to_talk
    assert parsed.key == "dtk_x"
    assert not parse_start(start()).push_to_talk


@pytest.mark.parametrize(("fields", "locale"), [({}, None), ({"locale": "zh"}, "zh")])
def test_a_start_may_choose_the_sessions_language(fields: dict[str, Any], locale: str) -> None:
    assert parse_start(start(**fields)).locale == locale


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"type": "text"}, "expected_start"),
        ({"type": "start"}, "bad_format"),
        ({"type": "start", "format": "s16le:16000"}, "bad_format"),
        ({"type": "start", "format": {"rate": 16000.5}}, "bad_format"),
        ({"type": "start", "format": {"rate": True}}, "bad_format"),
        ({"type": "start", "format": {"rate": 16000, "channels": 0}}, "bad_format"),
        ({"type": "start", "format": {"rate": 999_999_999}}, "bad_format"),
        ({"type": "start", "format": {"rate": 16000, "sample": "alaw"}}, "bad_format"),
        (start(mode="always"), "bad_mode"),
        (start(locale="ko"), "bad_locale"),
        (start(locale="ZH"), "bad_locale"),
        (start(locale=["zh"]), "bad_locale"),
    ],
)
def test_bad_starts_are_protocol_errors(message: dict[str, Any], code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_start(message)
    assert caught.value.code == code
    assert caught.value.fatal


def nested(depth: int) -> str:
    """A text message whose 'text' is ``depth`` - 1 nested arrays (``depth`` levels in all)."""
    return '{"type": "text", "text": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{", "malformed_json"),
        ("[]", "malformed_message"),
        ('{"type": 1}', "malformed_message"),
        (nested(17), "malformed_message"),  # one level over the default 16
        (nested(3000), "malformed_message"),  # past the interpreter's recursion limit
        ('{"type": "text", "text": "' + "x" * 70_000 + '"}', "message_too_large"),
    ],
)
def test_control_messages_must_be_objects_with_a_type(text: str, code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_json(text)
    assert caught.value.code == code
    assert not caught.value.fatal


def test_nesting_up_to_the_limit_is_fine() -> None:
    assert parse_json(nested(16))["type"] == "text"
    assert parse_json(nested(4), max_depth=4)["type"] == "text"
    with pytest.raises(ProtocolError):
        parse_json(nested(5), max_depth=4)


async def test_the_audio_feed_ends_an_utterance_and_goes_on() -> None:
    feed = AudioFeed(capacity=10)
    for chunk in (b"a", b"b"):
        feed.push(chunk)
    feed.end()
    feed.push(b"c")
    first = [chunk async for chunk in feed]
    assert first == [b"a", b"b"]
    assert await anext(feed) == b"c"


async def test_the_audio_feed_drops_audio_when_full() -> None:
    feed = AudioFeed(capacity=2)
    for chunk in (b"1", b"2", b"3"):
        feed.push(chunk)
    assert feed.dropped == 1


class StuckSocket:
    """A client that never reads: every send waits forever."""

    def __init__(self) -> None:
        self.sent: list[str | bytes] = []

    async def send_text(self, data: str) -> None:
        self.sent.append(data)
        await asyncio.Event().wait()

    async def send_bytes(self, data: bytes) -> None:
        await self.send_text(data)  # type: ignore[arg-type]


async def test_the_send_queue_drops_partials_first_then_overflows() -> None:
    socket = StuckSocket()
    out = Outgoing(socket, capacity=4)  # type: ignore[arg-type]
    sender = asyncio.create_task(out.run())
    await asyncio.sleep(0)
    for _ in range(10):
        out.event({"type": "partial", "text": "..."}, droppable=True)
    assert not out.overflowed.is_set()
    for _ in range(5):
        out.event({"type": "reply", "text": "hello"})
    assert out.overflowed.is_set()
    sender.cancel()


@pytest.mark.parametrize(
    ("sample", "rate", "size", "code"),
    [
        ("u8", 1000, 64 * 1024, "frame_too_long"),  # 64 KiB, but 65 s of audio
        ("u8", 1000, 8 * 1024 * 1024, "frame_too_long"),  # the 2 GB frame of the issue
        ("s16le", 16000, 64_001, "bad_frame"),  # not whole samples
        ("s16le", 16000, 9 * 1024 * 1024, "frame_too_large"),  # over request_bytes
    ],
)
def test_frames_are_bounded_by_seconds_and_bytes(
    sample: str, rate: int, size: int, code: str
) -> None:
    fmt = PcmFormat(rate, 1, SampleFormat(sample))
    with pytest.raises(ProtocolError) as caught:
        check_frame(b"\0" * size, fmt, ServerLimits(frame_seconds=2.0))
    assert caught.value.code == code
    assert caught.value.fatal


def test_a_frame_within_the_limits_gives_its_seconds() -> None:
    fmt = PcmFormat(16000, 1, SampleFormat.S16)
    assert check_frame(b"\0" * 3200, fmt, ServerLimits()) == pytest.approx(0.1)
