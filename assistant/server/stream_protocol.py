"""One WebSocket audio stream: PCM in, recognition/dialog events and reply audio out.

Protocol (see the README for the full table):

* client -> server, first message, JSON text:
  ``{"type": "start", "format": {"rate": 48000, "channels": 1, "sample": "s16le"},
  "mode": "vad" | "push_to_talk", "key": "dtk_...", "locale": "en" | "zh", "wake": true | false}``
  (``key`` only when the upgrade request had no ``Authorization`` header, as
  in browsers; ``locale`` optional: the session's language from now on;
  ``wake``, in ``vad`` mode, overrides ``[wake] enabled``);
* then binary frames of PCM in that format, and JSON control messages
  ``{"type": "end"}`` (push-to-talk released), ``{"type": "text", "text": ...}``
  (typed fallback), ``{"type": "ping"}``, ``{"type": "stop"}``;
* server -> client: JSON events ``ready``, ``speech_started``, ``partial``,
  ``speech_ended``, ``final``, ``barge_in``, ``intent``, ``reply``,
  ``announcement``, ``wake``, ``pong``, ``error``; after a ``reply`` with
  ``"audio": true`` one
  binary frame holding the reply as a WAV file.

Everything the server sends goes through one bounded queue: partials are
dropped first when a client reads slowly, and a client that stops reading
altogether is disconnected (code 1008) instead of growing memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket

from assistant.audio.formats import PcmFormat, SampleFormat
from assistant.config import ServerLimits
from assistant.errors import DriveTalkError, RequestRejectedError
from assistant.locales import Locale, is_locale, unknown_locale_message
from assistant.server.schemas import error_body


class ProtocolError(RequestRejectedError):
    """The client broke the stream protocol."""

    def __init__(self, code: str, message: str, *, fatal: bool = True) -> None:
        super().__init__(400, code, message)
        self.fatal = fatal


@dataclass(frozen=True, slots=True)
class Start:
    """The client's start message, validated."""

    format: PcmFormat
    push_to_talk: bool
    key: str | None
    #: The language the session should speak from now on (None: unchanged).
    locale: Locale | None = None
    #: Whether commands need the wake phrase first (None: as configured).
    wake: bool | None = None


#: Defaults of the limits ``parse_json`` enforces (the server passes its settings).
MAX_DEPTH = 16
MAX_CHARS = 64 * 1024


def parse_json(
    text: str, *, max_depth: int = MAX_DEPTH, max_chars: int = MAX_CHARS
) -> dict[str, Any]:
    """A control message as a dict; ProtocolError (not fatal) when it is not one.

    The text is bounded (``message_too_large``) before it is parsed, and
    nesting deeper than ``max_depth`` is ``malformed_message``, so no message
    can cost the parser unbounded time or recursion.
    """
    if len(text) > max_chars:
        raise ProtocolError(
            "message_too_large",
            f"a JSON message of {len(text)} characters is over the limit of {max_chars}",
            fatal=False,
        )
    too_deep = ProtocolError(
        "malformed_message", f"JSON nested deeper than {max_depth} levels", fatal=False
    )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError("malformed_json", f"not JSON: {exc.msg}", fatal=False) from exc
    except RecursionError:  # nested far deeper than max_depth
        raise too_deep from None
    if nesting_depth(data, max_depth) > max_depth:
        raise too_deep
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError(
            "malformed_message", "expected a JSON object with a 'type'", fatal=False
        )
    return data


def nesting_depth(value: Any, limit: int) -> int:
    """How deep objects and arrays nest in ``value`` (counting stops past ``limit``)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_start(data: dict[str, Any]) -> Start:
    """Validate the start message (format, mode, optional key and locale)."""
    if data.get("type") != "start":
        raise ProtocolError("expected_start", "the first message must be {'type': 'start', ...}")
    fmt = data.get("format")
    if not isinstance(fmt, dict):
        raise ProtocolError("bad_format", "start.format must be an object {rate, channels, sample}")
    try:
        pcm = PcmFormat(
            rate=_int(fmt.get("rate")),
            channels=_int(fmt.get("channels", 1)),
            sample=SampleFormat(str(fmt.get("sample", "s16le"))),
        )
    except (ValueError, TypeError, DriveTalkError) as exc:
        raise ProtocolError("bad_format", f"unsupported PCM format: {exc}") from exc
    mode = data.get("mode", "vad")
    if mode not in ("vad", "push_to_talk"):
        raise ProtocolError("bad_mode", "mode must be 'vad' or 'push_to_talk'")
    key = data.get("key")
    locale = data.get("locale")
    if locale is not None and not is_locale(locale):
        raise ProtocolError("bad_locale", unknown_locale_message(locale))
    wake = data.get("wake")
    if wake is not None and not isinstance(wake, bool):
        raise ProtocolError("bad_wake", "start.wake must be true or false")
    return Start(
        pcm,
        mode == "push_to_talk",
        key if isinstance(key, str) else None,
        locale=locale,
        wake=wake,
    )


def check_frame(data: bytes, fmt: PcmFormat, limits: ServerLimits) -> float:
    """The seconds of audio in a binary frame; ProtocolError if it breaks a limit.

    Judged from the declared format before any conversion: resampled, a
    small frame at a low declared rate can grow a thousandfold.
    """
    if len(data) > limits.request_bytes:
        raise ProtocolError("frame_too_large", "an audio frame is over the request size limit")
    if len(data) % fmt.frame_bytes:
        raise ProtocolError(
            "bad_frame", f"a binary frame of {len(data)} bytes is not whole {fmt} frames"
        )
    seconds = len(data) / fmt.frame_bytes / fmt.rate
    if seconds > limits.frame_seconds:
        raise ProtocolError(
            "frame_too_long",
            f"a frame of {seconds:.1f} s of audio is over the limit of"
            f" {limits.frame_seconds:g} s a frame; send 20-100 ms frames",
        )
    return seconds


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not an integer")
    return value


class Outgoing:
    """The bounded send queue of one stream."""

    def __init__(self, websocket: WebSocket, capacity: int) -> None:
        self._ws = websocket
        self._queue: asyncio.Queue[str | bytes | None] = asyncio.Queue(capacity)
        self.overflowed = asyncio.Event()

    def event(self, data: dict[str, Any], *, droppable: bool = False) -> None:
        """Queue a JSON event; droppable ones give way when the queue is half full."""
        self._put(json.dumps(data, ensure_ascii=False), droppable)

    def audio(self, wav: bytes) -> None:
        """Queue a binary frame (reply audio)."""
        self._put(wav, False)

    def error(self, code: str, message: str) -> None:
        """Queue an error event."""
        self.event({"type": "error", **error_body(code, message)["error"]})

    def _put(self, item: str | bytes, droppable: bool) -> None:
        if droppable and self._queue.qsize() >= self._queue.maxsize // 2:
            return
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed.set()

    def close(self) -> None:
        """Let the sender finish what is queued, then stop."""
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)

    async def run(self) -> None:
        """Send queued items in order until closed."""
        while (item := await self._queue.get()) is not None:
            if isinstance(item, bytes):
                await self._ws.send_bytes(item)
            else:
                await self._ws.send_text(item)


class AudioFeed:
    """Model-rate PCM chunks for the listener; resumable after each utterance end.

    ``end()`` (push-to-talk released) makes the current ``anext`` report end of
    stream once; later chunks start the next utterance.
    """

    _END = b""

    def __init__(self, capacity: int) -> None:
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(capacity)
        self.dropped = 0

    def push(self, chunk: bytes) -> None:
        """Add audio; when the listener lags far behind, the newest audio is dropped."""
        try:
            self._queue.put_nowait(chunk)
        except asyncio.QueueFull:
            self.dropped += 1

    def end(self) -> None:
        """End the current utterance."""
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(self._END)

    def __aiter__(self) -> AudioFeed:
        return self

    async def __anext__(self) -> bytes:
        chunk = await self._queue.get()
        if not chunk:
            raise StopAsyncIteration
        return chunk
