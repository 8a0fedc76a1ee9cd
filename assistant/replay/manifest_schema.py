"""The edge of a replay manifest: pydantic models of the file, and its problems as lines.

The top level and each case are validated separately, so one bad case does
not hide the problems of the others: :func:`validate` returns what is valid
and a line for every problem (``case 'a', turn 2: unknown key 'speaker' ...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from assistant.config import GateSettings, ZoneName
from assistant.locales import is_locale, unknown_locale_message
from assistant.models import Intent

DEFAULT_NOW = "2026-11-23T08:00:00"
DEFAULT_ZONE = "Asia/Shanghai"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TurnModel(_Strict):
    """One driver utterance of a case."""

    audio: str | None = None
    transcript: str = Field(min_length=1)
    intent: Intent
    slots: dict[str, Any] = Field(default_factory=dict)


class OutcomeModel(_Strict):
    """What the backend must have seen by the end of a case (each list in order).

    A list that is given must match exactly in length (``sent: []``: nothing
    may be sent); each item is an expected subset, like slots.
    """

    sent: list[dict[str, Any]] | None = None
    created: list[dict[str, Any]] | None = None
    cancelled: list[dict[str, Any]] | None = None


class CaseModel(_Strict):
    """One conversation: turns replayed in order against one backend."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    turns: list[TurnModel] = Field(min_length=1)
    tags: dict[str, str | int | float] = Field(default_factory=dict)
    outcome: OutcomeModel | None = None
    #: The case's language; default: the manifest's.
    locale: str | None = None

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str | None) -> str | None:
        return _check_locale(value) if value is not None else None

    @field_validator("tags")
    @classmethod
    def _tags_as_text(cls, value: dict[str, Any]) -> dict[str, Any]:
        return {str(k): f"{v:g}" if isinstance(v, float) else str(v) for k, v in value.items()}


class ClockModel(_Strict):
    """The fixed 'now' every case is replayed at."""

    now: datetime = datetime.fromisoformat(DEFAULT_NOW)
    zone: ZoneName = DEFAULT_ZONE


class HeadModel(_Strict):
    """The file's top level; its cases are validated one by one (:class:`CaseModel`)."""

    version: int = 1
    #: The language of every case that does not name its own.
    locale: str = "en"
    clock: ClockModel = ClockModel()
    #: A contacts file (JSON or CSV, relative to the manifest): the cases' directory.
    contacts: str | None = Field(default=None, min_length=1)
    #: The release gate this set is held to (see assistant.replay.gate).
    gate: GateSettings | None = None
    #: Who made the file (scripts/make_audio_samples.py notes itself); not read.
    generator: dict[str, Any] | None = None
    cases: list[Any] = Field(min_length=1)

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        return _check_locale(value)

    @field_validator("version")
    @classmethod
    def _supported(cls, value: int) -> int:
        if value != 1:
            raise ValueError(f"unsupported manifest version {value} (this DriveTalk reads 1)")
        return value


def _check_locale(value: str) -> str:
    if not is_locale(value):
        raise ValueError(unknown_locale_message(value))
    return value


#: The keys each part of a manifest may have, for "unknown key" messages.
_KEYS = {
    "manifest": tuple(HeadModel.model_fields),
    "case": tuple(CaseModel.model_fields),
    "turn": tuple(TurnModel.model_fields),
    "outcome": tuple(OutcomeModel.model_fields),
    "clock": tuple(ClockModel.model_fields),
    "gate": tuple(GateSettings.model_fields),
}


@dataclass(frozen=True, slots=True)
class Checked:
    """What validation made of a file: the valid parts, and the problems of each part."""

    head: HeadModel | None
    head_problems: list[str]
    #: Per case of the file, in order: its model (None when invalid) and its problems.
    cases: list[tuple[Any, CaseModel | None, list[str]]]


def validate(data: dict[str, Any]) -> Checked:
    """Validate the top level and every case on its own, collecting every problem."""
    head, head_problems = None, []
    try:
        head = HeadModel.model_validate(data)
    except ValidationError as exc:
        head_problems = [_describe(e, []) for e in exc.errors() if _not_in_cases(e)]
    raw_cases = data.get("cases")
    cases: list[tuple[Any, CaseModel | None, list[str]]] = []
    for index, raw in enumerate(raw_cases if isinstance(raw_cases, list) else []):
        label = case_label(raw, index)
        try:
            cases.append((raw, CaseModel.model_validate(raw), []))
        except ValidationError as exc:
            cases.append((raw, None, [_describe(e, [f"case {label}"]) for e in exc.errors()]))
    return Checked(head, head_problems, cases)


def _not_in_cases(error: ErrorDetails) -> bool:
    """Errors inside a case are reported by the per-case validation."""
    loc = error["loc"]
    return not (len(loc) >= 2 and loc[0] == "cases")


def case_label(raw: Any, index: int) -> str:
    """``'the-id'``, or ``number N`` for a case without a usable id."""
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        return repr(raw["id"])
    return f"number {index + 1}"


def _describe(error: ErrorDetails, where: list[str]) -> str:
    """One validation error as 'case ID, turn N, field: message'."""
    loc = list(error["loc"])
    where = list(where)
    part = "case" if where else "manifest"
    if len(loc) >= 2 and loc[0] == "turns" and isinstance(loc[1], int):
        where.append(f"turn {loc[1] + 1}")
        loc, part = loc[2:], "turn"
    if error["type"] == "extra_forbidden":
        key, parent = loc[-1], loc[:-1]
        part = str(parent[0]) if parent else part
        if parent:
            where.append(".".join(str(p) for p in parent))
        known = ", ".join(_KEYS.get(part, ()))
        return f"{', '.join(where) or 'manifest'}: unknown key {key!r} (expected one of {known})"
    if loc:
        where.append(".".join(str(p) for p in loc))
    message = str(error["msg"])
    if error["loc"][-1:] == ("locale",):
        message = message.removeprefix("Value error, ")
    if error["type"] == "enum":
        message = f"unknown intent {error.get('input')!r} (one of {', '.join(Intent)})"
    return f"{', '.join(where) or 'manifest'}: {message}"
