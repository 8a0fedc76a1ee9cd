"""HTTP request and response bodies (pydantic: the edge of the system)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.asr.events import Final
from assistant.locales import Locale
from assistant.server.conversation import Turn
from assistant.tts.audio import Audio


class ErrorDetail(BaseModel):
    """What went wrong, for programs (``code``) and people (``message``)."""

    code: str = Field(examples=["rate_limited"])
    message: str


class ErrorResponse(BaseModel):
    """Every 4xx/5xx body."""

    error: ErrorDetail


def error_body(code: str, message: str) -> dict[str, Any]:
    """The JSON of an :class:`ErrorResponse`."""
    return {"error": {"code": code, "message": message}}


def _responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "Malformed request (e.g. a body that is not UTF-8 JSON, or an empty audio body)",
        401: "Missing, invalid or revoked API key (operator routes: not the operator token)",
        404: "No such session (or not yours)",
        413: "Request body or audio too large or too long",
        415: "Not a WAV file / unsupported audio encoding",
        422: "Request does not match the schema",
        429: "Rate limit, session limit or failed-verification limit exceeded",
        503: (
            "Speech engine unavailable, server shutting down, too busy verifying keys,"
            " or at capacity (`busy`, with Retry-After: try another replica)"
        ),
    }
    return {s: {"model": ErrorResponse, "description": text[s]} for s in statuses}


AUTH_ERRORS = _responses(400, 401, 413, 422, 429, 503)
OPERATOR_ERRORS = _responses(401, 413, 429)
SESSION_ERRORS = _responses(400, 401, 404, 413, 422, 429, 503)
AUDIO_ERRORS = _responses(400, 401, 404, 413, 415, 422, 429, 503)


class Health(BaseModel):
    """Liveness: the process answers."""

    status: str = "ok"


class Readiness(BaseModel):
    """Readiness: the speech model and the backend are usable.

    ``model_error`` and ``sessions`` (the whole process's figures) are shown
    to the operator token only; a vehicle key gets them as null.
    """

    ready: bool
    model_loaded: bool
    model_error: str | None = None
    tts: bool
    sessions: int | None = None
    #: Whether the caller's tenant can look names up (``[directory]`` or the backend's
    #: own); null for the operator token.
    directory: bool | None = None


class SessionCreate(BaseModel):
    """Options for a new session (all optional)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    audio: bool = Field(True, description="include synthesised reply audio in turn responses")
    locale: Locale | None = Field(
        None,
        description="language the session understands and speaks: en (English) or zh "
        "(Mandarin); default: the tenant's (tenant.toml), else the server's setting",
        examples=["zh"],
    )


class SessionInfo(BaseModel):
    """A session the caller owns."""

    id: str
    tenant: str
    vehicle: str
    created_at: datetime
    stream_url: str = Field(description="WebSocket path for streaming audio")
    locale: Locale = Field(description="language the session understands and speaks")


class TextTurn(BaseModel):
    """A typed utterance."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(min_length=1, max_length=100_000, examples=["send a message to Li Na"])


class Alternative(BaseModel):
    """One n-best hypothesis."""

    text: str
    score: float


class Understanding(BaseModel):
    """What the parser made of the utterance (``ParseResult.to_json()``)."""

    intent: str = Field(examples=["send_message"])
    confidence: float
    slots: dict[str, Any]


class ReplyAudio(BaseModel):
    """The reply as speech: a base64 WAV (16-bit mono PCM)."""

    wav_base64: str
    sample_rate: int
    duration: float


class TurnResponse(BaseModel):
    """The result of a text or audio turn."""

    transcript: str
    alternatives: list[Alternative] = []
    audio_seconds: float | None = None
    understanding: Understanding | None
    replies: list[str]
    reply_text: str
    reply_audio: ReplyAudio | None = None
    notices: list[str] = Field(
        default=[],
        description="What the assistant said unprompted since the last turn and no WebSocket "
        "heard: late deliveries ('Your message to Li Wei was delivered'), final delivery "
        "failures, incoming messages. Each is returned once.",
    )


class Notices(BaseModel):
    """Unprompted things the assistant said that no client has heard yet."""

    notices: list[str]


def understanding_of(turn: Turn) -> Understanding | None:
    """The parse as a response model."""
    if turn.parse is None:
        return None
    data = turn.parse.to_json()
    return Understanding(
        intent=str(data.get("intent")),
        confidence=float(data.get("confidence", 0.0)),
        slots=dict(data.get("slots") or {}),
    )


def reply_audio_of(audio: Audio | None) -> ReplyAudio | None:
    """Synthesised audio as a response model."""
    if audio is None:
        return None
    return ReplyAudio(
        wav_base64=base64.b64encode(audio.to_wav()).decode("ascii"),
        sample_rate=audio.sample_rate,
        duration=round(audio.duration, 3),
    )


def turn_response(
    turn: Turn,
    audio: Audio | None,
    final: Final | None = None,
    seconds: float | None = None,
    notices: tuple[str, ...] = (),
) -> TurnResponse:
    """Assemble the response of one turn."""
    hypotheses = final.alternatives if final else ()
    alternatives = [Alternative(text=h.text, score=h.score) for h in hypotheses]
    return TurnResponse(
        transcript=turn.transcript,
        alternatives=alternatives,
        audio_seconds=None if seconds is None else round(seconds, 3),
        understanding=understanding_of(turn),
        replies=list(turn.replies),
        reply_text=turn.reply_text,
        reply_audio=reply_audio_of(audio),
        notices=list(notices),
    )
