"""One WebSocket audio stream from accept to close (protocol in :mod:`.stream_protocol`).

Seven tasks run side by side: the receiver (PCM and control messages from the
client), the listener (endpointing + recognition), the answerer (dialog turns,
one at a time), the announcer (what the assistant says unprompted), the
notice watch (claims delivery notices for this car when the outbox rings),
the sender (the bounded queue to the client) and the guard (idle timeout, key
revocation). The first to finish decides how the socket closes.

Nothing heavy runs on the event loop: the key is verified (scrypt) and
every frame converted and resampled in worker threads, and a frame is
bounded by the seconds of audio it carries, not only by its bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator
from dataclasses import replace
from typing import Any, cast

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from assistant.asr.base import Transcriber
from assistant.asr.events import BargeIn as AsrBargeIn
from assistant.asr.events import Event, Final, Partial, SpeechEnded, SpeechStarted, WakeHeard
from assistant.asr.listener import Listener
from assistant.asr.wake import WakeGate
from assistant.audio.convert import PcmConverter
from assistant.audio.endpoint import EndpointConfig
from assistant.errors import DriveTalkError, RequestRejectedError
from assistant.server.conversation import Turn
from assistant.server.handlers import status_of
from assistant.server.keys import Principal
from assistant.server.schemas import error_body, understanding_of
from assistant.server.sessions import Session
from assistant.server.state import ServerState
from assistant.server.stream_protocol import (
    MAX_CHARS,
    AudioFeed,
    Outgoing,
    ProtocolError,
    Start,
    check_frame,
    parse_json,
    parse_start,
)

log = logging.getLogger(__name__)

#: Seconds a client has to send its start message.
START_TIMEOUT = 10.0
#: Seconds a new stream waits for the session's previous one to wind down
#: (a car reconnecting at once after its connection dropped).
HANDOVER_TIMEOUT = 5.0
#: Close code for a client that stopped reading.
CLOSE_POLICY = 1008


class StreamHandler:
    """Runs one WebSocket connection from accept to close."""

    def __init__(self, state: ServerState, websocket: WebSocket, session_id: str) -> None:
        self.state = state
        self.ws = websocket
        self.session_id = session_id
        limits = state.settings.server.limits
        self.out = Outgoing(websocket, limits.send_queue)
        self.feed = AudioFeed(capacity=2000)
        self.turns: asyncio.Queue[Final | str] = asyncio.Queue(8)
        self.session: Session | None = None
        self.who: Principal | None = None
        self.converter: PcmConverter | None = None
        self.revoked = asyncio.Event()
        self.last_heard = time.monotonic()
        self._max_chars = max(MAX_CHARS, 8 * limits.text_chars + 1024)
        self.speaking_until = 0.0
        self.wake = WakeGate(None)
        #: A turn is being answered (its speech needs no wake phrase after it).
        self.answering = False
        self._window_start = time.monotonic()
        self._frames_in_window = 0

    # -- setup -------------------------------------------------------------

    async def run(self) -> None:
        """Admit (or say ``busy`` at once), accept, authenticate, start, then pump."""
        busy = self.state.admission.refusal()
        if busy is not None:
            await self._deny(busy)
            return
        with self.state.admission.admit():
            await self._run()

    async def _run(self) -> None:
        await self.ws.accept()
        self.state.metrics.streams.inc()
        try:
            start = await self._handshake()
        except (RequestRejectedError, WebSocketDisconnect, TimeoutError) as exc:
            await self._refuse(exc)
            self.state.metrics.streams.dec()
            return
        try:
            await self._pump(start)
        finally:
            self.state.metrics.streams.dec()

    async def _handshake(self) -> Start:
        message = await asyncio.wait_for(self.ws.receive(), START_TIMEOUT)
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        if text is None:
            raise ProtocolError("expected_start", "send the JSON start message before audio")
        start = parse_start(self._parse(text))
        who = await self._authenticate(start.key)
        session = await self.state.sessions.get(who, self.session_id)
        await self.state.sessions.open_stream(session, HANDOVER_TIMEOUT)
        try:
            if start.locale is not None:
                async with session.lock:  # never in the middle of a turn
                    await session.conversation.use_locale(start.locale)
        except BaseException:
            await self.state.sessions.close_stream(session)
            raise
        self.session, self.who = session, who
        return start

    async def _authenticate(self, key: str | None) -> Principal:
        client = self.ws.client.host if self.ws.client else None
        header = self.ws.headers.get("authorization")
        who = await self.state.auth.averify(key, client, header=header)
        await asyncio.to_thread(self.state.limiter.take, who.key_id)  # may be a database row
        return who

    def _parse(self, text: str) -> dict[str, Any]:
        depth = self.state.settings.server.limits.json_depth
        return parse_json(text, max_depth=depth, max_chars=self._max_chars)

    async def _deny(self, busy: RequestRejectedError) -> None:
        """Refuse the upgrade with a plain HTTP 503 + Retry-After (what a balancer acts on).

        A server without the ASGI denial-response extension accepts and
        then refuses like any bad start (``error busy``, close 4503).
        """
        if "websocket.http.response" not in self.ws.scope.get("extensions", {}):
            await self.ws.accept()
            await self._refuse(busy)
            return
        self.state.metrics.rejections.labels(busy.code).inc()
        headers = {"Retry-After": str(busy.retry_after)} if busy.retry_after else None
        body = error_body(busy.code, str(busy))
        await self.ws.send_denial_response(JSONResponse(body, busy.status, headers=headers))

    async def _refuse(self, exc: BaseException) -> None:
        if isinstance(exc, WebSocketDisconnect):
            return
        if isinstance(exc, RequestRejectedError):
            code, message, status = exc.code, str(exc), exc.status
        else:
            code, message, status = "start_timeout", "no start message in time", 408
        self.state.metrics.rejections.labels(code).inc()
        with contextlib.suppress(Exception):
            retry = getattr(exc, "retry_after", None)
            extra = {"retry_after": int(retry)} if retry is not None else {}
            event = {"type": "error", **error_body(code, message)["error"], **extra}
            await self.ws.send_json(event)
            await self.ws.close(code=4000 + status, reason=code)

    # -- the running stream --------------------------------------------------

    async def _pump(self, start: Start) -> None:
        assert self.session is not None
        session = self.session
        assert self.who is not None
        try:  # the session was claimed for this stream by the handshake
            transcriber = await self._transcriber()
            if transcriber is not None:
                with self.state.revocations.watching(self.who.key_id) as revoked:
                    self.revoked = revoked
                    await self._run_tasks(start, transcriber)
        finally:
            await self.state.sessions.close_stream(session)

    async def _run_tasks(self, start: Start, transcriber: Transcriber) -> None:
        assert self.session is not None
        self.converter = PcmConverter(start.format, transcriber.sample_rate)
        listener = Listener(transcriber, self._endpointing(start.push_to_talk))
        settings = self.state.settings  # push-to-talk: the button, never a wake phrase
        self.wake = WakeGate.configured(  # the session's language, as its transcriber's
            settings.wake,
            self.session.conversation.locale,
            False if start.push_to_talk else start.wake,
        )
        self.out.event(
            {
                "type": "ready",
                "session": self.session.id,
                "sample_rate": start.format.rate,
                "locale": self.session.conversation.locale,
            }
        )
        tasks = {
            asyncio.create_task(self.out.run(), name="send"),
            asyncio.create_task(self._receive(), name="receive"),
            asyncio.create_task(self._listen(listener), name="listen"),
            asyncio.create_task(self._answer(), name="answer"),
            asyncio.create_task(self._announce(), name="announce"),
            asyncio.create_task(self.session.conversation.watch_notices(), name="notices"),
            asyncio.create_task(self.out.overflowed.wait(), name="overflow"),
            asyncio.create_task(self._guard(), name="guard"),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            await self._finish(done)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _transcriber(self) -> Transcriber | None:
        assert self.session is not None
        try:
            transcriber = await self.state.speech.transcriber(self.session.conversation.locale)
        except RequestRejectedError as exc:
            await self._refuse(exc)
            return None
        self.state.metrics.model_loaded.set(1)
        return transcriber

    def _endpointing(self, push_to_talk: bool) -> EndpointConfig:
        settings = self.state.settings
        return replace(
            EndpointConfig.from_settings(settings.asr),
            push_to_talk=push_to_talk,
            max_utterance_s=min(settings.asr.max_utterance_s, settings.server.limits.audio_seconds),
        )

    async def _finish(self, done: set[asyncio.Task[Any]]) -> None:
        """Close the socket with the reason the first task ended for."""
        names = {t.get_name() for t in done}
        if "overflow" in names:
            self.state.metrics.rejections.labels("slow_consumer").inc()
            await self._close(CLOSE_POLICY, "client is not reading; send queue full")
            return
        for task in done:
            error = task.exception() if not task.cancelled() else None
            if isinstance(error, DriveTalkError):
                await self._send_now_and_close(error)
                return
            if error is not None and not isinstance(error, WebSocketDisconnect):
                log.error("stream task %s crashed", task.get_name(), exc_info=error)
                await self._close(1011, "internal error")
                return
        await self._close(1000, "bye")

    async def _send_now_and_close(self, error: DriveTalkError) -> None:
        status, code = status_of(error)
        self.state.metrics.rejections.labels(code).inc()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                self.ws.send_json({"type": "error", **error_body(code, str(error))["error"]}), 2.0
            )
        await self._close(4000 + status if status < 500 else 1011, code)

    async def _close(self, code: int, reason: str) -> None:
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code=code, reason=reason), 2.0)

    # -- guard -----------------------------------------------------------------

    async def _guard(self) -> None:
        """End the stream when its key is revoked or its client has been silent too long."""
        idle = self.state.settings.server.stream_idle_seconds
        while True:
            self._check_revoked()
            remaining = self.last_heard + idle - time.monotonic()
            if remaining <= 0:
                raise RequestRejectedError(
                    408, "idle_timeout", f"nothing received for {idle:g} s; reconnect to go on"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.revoked.wait(), remaining)

    def _check_revoked(self) -> None:
        if self.revoked.is_set():
            raise RequestRejectedError(401, "key_revoked", "the API key of this stream was revoked")

    # -- client -> server ----------------------------------------------------

    async def _receive(self) -> None:
        assert self.session is not None
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            self._check_revoked()  # no frame is acted on once the watch saw the revocation
            self.last_heard = time.monotonic()
            self.session.touch()
            if message.get("bytes") is not None:
                await self._audio(message["bytes"])
            elif message.get("text") is not None and self._control(message["text"]) == "stop":
                self.out.close()
                return
            # Messages already buffered are received without yielding: let the
            # sender drain the answers to a flood before reading on, or a client
            # that reads would look like one that does not (1008).
            await asyncio.sleep(0)

    async def _audio(self, data: bytes) -> None:
        assert self.converter is not None
        self._count_frame()
        seconds = check_frame(data, self.converter.format, self.state.settings.server.limits)
        pcm = await asyncio.to_thread(self.converter.convert, data)
        if pcm:
            self.state.metrics.audio_seconds.inc(seconds)
            self.feed.push(pcm)

    def _count_frame(self) -> None:
        now = time.monotonic()
        if now - self._window_start >= 1.0:
            self._window_start, self._frames_in_window = now, 0
        self._frames_in_window += 1
        limit = self.state.settings.server.limits.frame_rate
        if self._frames_in_window > limit:
            raise RequestRejectedError(
                429, "frame_rate_exceeded", f"more than {limit:g} audio frames a second"
            )

    def _control(self, text: str) -> str | None:
        try:
            data = self._parse(text)
        except ProtocolError as exc:
            self.out.error(exc.code, str(exc))
            return None
        kind = data["type"]
        if kind == "end":
            self.feed.end()
        elif kind == "text":
            self._typed(data.get("text"))
        elif kind == "ping":
            self.out.event({"type": "pong"})
        elif kind == "stop":
            return "stop"
        else:
            self.out.error("unknown_message", f"unknown message type {kind!r}")
        return None

    def _typed(self, text: object) -> None:
        limit = self.state.settings.server.limits.text_chars
        if not isinstance(text, str) or not text.strip():
            self.out.error("bad_text", "a text message needs a non-empty 'text'")
        elif len(text) > limit:
            self.out.error("text_too_long", f"text is over the limit of {limit} characters")
        else:
            assert self.who is not None
            try:
                # A typed turn costs what a REST text turn costs (rate_per_key).
                self.state.limiter.take(self.who.key_id)
                self.turns.put_nowait(text)
            except RequestRejectedError as exc:
                self.out.error(exc.code, str(exc))
            except asyncio.QueueFull:
                self.out.error("busy", "too many turns waiting; wait for the replies")

    # -- recognition and dialog ------------------------------------------------

    async def _listen(self, listener: Listener) -> None:
        assert self.session is not None
        conversation = self.session.conversation
        while True:
            busy = self.answering or not self.turns.empty() or self._speaking()
            busy = busy or conversation.awaiting_answer()
            if not await self.wake.admit(listener, self.feed, busy=busy, on_wake=self._woken):
                continue
            vocabulary = conversation.vocabulary()
            heard = cast(
                AsyncGenerator[Event, None],
                listener.listen(
                    self.feed,
                    grammar=vocabulary or None,
                    is_speaking=self._speaking,
                    complete=conversation.complete_enough,
                    complete_continued=lambda partial: conversation.complete_enough(
                        partial, continues=True
                    ),
                    leading_silence_ms=self.wake.window_ms(),
                ),
            )
            # Closed here even when the stream ends mid-utterance: its recognizer is
            # freed before the stream is over, not whenever the generator is collected.
            async with contextlib.aclosing(heard):
                async for event in heard:
                    self._forward(event)
                    if isinstance(event, Final) and event.text.strip():
                        await self.turns.put(event)

    def _woken(self, heard: WakeHeard) -> None:
        self.speaking_until = 0.0
        self.out.event(heard.to_dict())

    def _speaking(self) -> bool:
        return time.monotonic() < self.speaking_until

    def _forward(self, event: Event) -> None:
        if isinstance(event, Partial):
            self.out.event(event.to_dict(), droppable=True)
        elif isinstance(event, SpeechStarted | SpeechEnded | AsrBargeIn):
            if isinstance(event, AsrBargeIn):
                self.speaking_until = 0.0
                if self.session is not None:  # the reply being played was cut off
                    self.session.conversation.barge_in()
            self.out.event(event.to_dict())
        else:
            data = event.to_dict()
            data.pop("words", None)
            self.out.event(data)

    async def _answer(self) -> None:
        assert self.session is not None
        session = self.session
        while True:
            heard = await self.turns.get()
            self.answering = True
            try:
                # Shielded: a disconnect must not cut a turn in half after the
                # driver confirmed (the message is in the outbox either way).
                turn = await asyncio.shield(self._turn(session, heard))
            except DriveTalkError as exc:  # this turn failed; the stream goes on
                _, code = status_of(exc)
                self.out.error(code, str(exc))
                continue
            else:
                await self._reply(turn, session)
            finally:
                self.answering = False

    async def _turn(self, session: Session, heard: Final | str) -> Turn:
        started = time.perf_counter()
        async with self.state.sessions.turn(session):
            conversation = session.conversation
            if isinstance(heard, str):
                turn = await conversation.hear_text(heard)
            else:
                turn = await conversation.hear(heard)
        self.state.metrics.turns.labels("stream").observe(time.perf_counter() - started)
        return turn

    async def _reply(self, turn: Turn, session: Session) -> None:
        understanding = understanding_of(turn)
        if understanding is not None:
            self.out.event(
                {"type": "intent", "text": turn.transcript, **understanding.model_dump()}
            )
        await self._say("reply", turn.reply_text, session, replies=list(turn.replies))

    async def _say(self, kind: str, text: str, session: Session, **extra: Any) -> None:
        locale = session.conversation.locale
        audio = await self.state.voice.speak(text, locale) if session.reply_audio else None
        self.out.event({"type": kind, "text": text, "audio": audio is not None, **extra})
        if audio is not None:
            self.speaking_until = time.monotonic() + audio.duration
            self.out.audio(audio.to_wav())

    async def _announce(self) -> None:
        assert self.session is not None
        session = self.session
        async for text in session.conversation.announcements():
            await self._say("announcement", text, session)
