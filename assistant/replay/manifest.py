"""Replay manifests: recorded utterances and what the assistant must make of them.

A manifest is a YAML (or JSON) file, ``manifest.yaml`` in a directory of
recordings, or a JSONL file with one case per line::

    version: 1
    locale: en                  # en (default) or zh; a case may carry its own
    clock: {now: "2026-11-23T08:00:00", zone: Asia/Shanghai}
    cases:
      - id: send-all-at-once
        tags: {voice: en-us, noise: engine, snr: "10"}
        turns:
          - audio: wav/send-all-at-once/1.wav     # relative to the manifest
            transcript: send a message to Zhang San saying I'll be late
            intent: send_message
            slots: {recipient: Zhang San, body: "I'll be late"}

Pydantic validates the file at this edge; the rest of the harness works on
the frozen dataclasses below. Every problem is reported as one
:class:`~assistant.errors.InputFileError` line naming the file and the place;
that includes a mis-tagged case (Chinese transcripts in a case tagged ``en``,
none at all in one tagged ``zh``), which would otherwise be scored as a
parser failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.config import ZoneName
from assistant.errors import InputFileError
from assistant.locales import LOCALES, Locale, is_cjk, is_locale, unknown_locale_message
from assistant.models import Intent

#: File names looked for when the replay path is a directory, in this order.
MANIFEST_NAMES = ("manifest.yaml", "manifest.yml", "manifest.json", "manifest.jsonl")
DEFAULT_NOW = "2026-11-23T08:00:00"
DEFAULT_ZONE = "Asia/Shanghai"


# -- the edge: pydantic models of the file ------------------------------------------


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


class ManifestModel(BaseModel):
    """The whole file (unknown top-level keys, e.g. ``generator``, are kept aside)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    version: int = 1
    #: The language of every case that does not name its own.
    locale: str = "en"
    clock: ClockModel = ClockModel()
    cases: list[CaseModel] = Field(min_length=1)

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


# -- inside: frozen dataclasses ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Turn:
    """An utterance with its expectations; ``audio`` is resolved to a path."""

    transcript: str
    intent: Intent
    slots: dict[str, Any] = field(default_factory=dict, hash=False)
    audio: Path | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """A conversation to replay, with tags to group results by."""

    id: str
    turns: tuple[Turn, ...]
    tags: dict[str, str] = field(default_factory=dict, hash=False)
    #: Expected backend effects by kind (sent / created / cancelled); None: unchecked.
    outcome: dict[str, list[dict[str, Any]]] | None = field(default=None, hash=False)
    #: The language the case is spoken, parsed and answered in.
    locale: Locale = "en"


@dataclass(frozen=True, slots=True)
class Manifest:
    """A loaded manifest: where it came from, the clock and the cases."""

    path: Path
    now: datetime
    cases: tuple[Case, ...]
    #: The manifest's own locale (each case carries its effective one).
    locale: Locale = "en"

    def locales(self) -> tuple[Locale, ...]:
        """The locales its cases are in, in the order of :data:`LOCALES`."""
        used = {case.locale for case in self.cases}
        return tuple(loc for loc in LOCALES if loc in used)

    def missing_audio(self) -> list[tuple[str, Path | None]]:
        """(case id, path) of every turn whose audio is absent or not given."""
        return [
            (case.id, turn.audio)
            for case in self.cases
            for turn in case.turns
            if turn.audio is None or not turn.audio.is_file()
        ]

    def require_audio(self) -> None:
        """InputFileError naming the first missing recording (and how many there are)."""
        missing = self.missing_audio()
        if not missing:
            return
        case_id, path = missing[0]
        what = f"audio file not found: {path}" if path else "a turn has no 'audio' entry"
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise InputFileError(f"{self.path}: case {case_id!r}: {what}{more}")


def find_manifest(path: Path) -> Path:
    """The manifest file for a replay PATH (a file, or a directory holding one)."""
    if path.is_dir():
        for name in MANIFEST_NAMES:
            if (path / name).is_file():
                return path / name
        raise InputFileError(f"no manifest in {path} (expected one of {', '.join(MANIFEST_NAMES)})")
    if not path.exists():
        raise InputFileError(f"replay manifest not found: {path}")
    return path


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a manifest; InputFileError with the place of any problem."""
    file = find_manifest(Path(path))
    data = _read(file)
    try:
        model = ManifestModel.model_validate(data)
    except ValidationError as exc:
        raise InputFileError(f"{file}: {_describe(exc, data)}") from exc
    _no_duplicates(file, model)
    manifest = _convert(file, model)
    _tagged_right(manifest)
    return manifest


def _read(file: Path) -> Any:
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"cannot read manifest {file}: not UTF-8 text (byte {exc.start})"
        ) from None
    except OSError as exc:
        raise InputFileError(f"cannot read manifest {file}: {exc.strerror or exc}") from exc
    if file.suffix == ".jsonl":
        return {"cases": _jsonl_cases(file, text)}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputFileError(
            f"manifest {file} is not valid {_kind(file)}: {_first_line(exc)}"
        ) from exc
    if not isinstance(data, dict):
        raise InputFileError(f"manifest {file} must be a mapping with a 'cases' list")
    return data


def _jsonl_cases(file: Path, text: str) -> list[Any]:
    """One case per non-blank line; a bad line is named by its number."""
    cases = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputFileError(
                f"manifest {file} is not valid JSON lines: line {number}: {exc.msg}"
                f" (column {exc.colno})"
            ) from None
        if not isinstance(case, dict):
            raise InputFileError(
                f"manifest {file} is not valid JSON lines: line {number} is not a JSON object"
            )
        cases.append(case)
    return cases


def _kind(file: Path) -> str:
    return "JSON lines" if file.suffix == ".jsonl" else "YAML"


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]


def _describe(exc: ValidationError, data: Any) -> str:
    """The first validation error as 'case ID, turn N: field: message'."""
    error = exc.errors()[0]
    loc = list(error["loc"])
    where: list[str] = []
    if len(loc) >= 2 and loc[0] == "cases" and isinstance(loc[1], int):
        where.append(f"case {_case_label(data, loc[1])}")
        loc = loc[2:]
        if len(loc) >= 2 and loc[0] == "turns" and isinstance(loc[1], int):
            where.append(f"turn {loc[1] + 1}")
            loc = loc[2:]
    if loc:
        where.append(".".join(str(p) for p in loc))
    message = error["msg"]
    if error["loc"][-1:] == ("locale",):
        message = str(message).removeprefix("Value error, ")
    if error["type"] == "enum":
        message = f"unknown intent {error.get('input')!r} (one of {', '.join(Intent)})"
    return f"{', '.join(where) or 'manifest'}: {message}"


def _case_label(data: Any, index: int) -> str:
    try:
        return repr(data["cases"][index]["id"])
    except (KeyError, IndexError, TypeError):
        return f"number {index + 1}"


def _no_duplicates(file: Path, model: ManifestModel) -> None:
    seen: set[str] = set()
    for case in model.cases:
        if case.id in seen:
            raise InputFileError(f"{file}: case id {case.id!r} appears twice")
        seen.add(case.id)


def _given(outcome: OutcomeModel) -> dict[str, list[dict[str, Any]]]:
    return {k: _plain(v) for k, v in outcome.model_dump().items() if v is not None}


def _plain(value: Any) -> Any:
    """Expected values as JSON data: YAML's unquoted dates become ISO strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return value


def _convert(file: Path, model: ManifestModel) -> Manifest:
    zone = ZoneInfo(model.clock.zone)
    now = model.clock.now
    now = now.replace(tzinfo=zone) if now.tzinfo is None else now.astimezone(zone)
    base = file.parent
    cases = tuple(
        Case(
            id=case.id,
            turns=tuple(
                Turn(
                    transcript=t.transcript,
                    intent=t.intent,
                    slots=_plain(t.slots),
                    audio=(base / t.audio) if t.audio else None,
                )
                for t in case.turns
            ),
            tags={k: str(v) for k, v in case.tags.items()},
            outcome=None if case.outcome is None else _given(case.outcome),
            locale=_as_locale(case.locale or model.locale),
        )
        for case in model.cases
    )
    return Manifest(path=file, now=now, cases=cases, locale=_as_locale(model.locale))


def _as_locale(value: str) -> Locale:
    if not is_locale(value):  # validated above; this narrows the type
        raise InputFileError(unknown_locale_message(value))
    return value


def _tagged_right(manifest: Manifest) -> None:
    """A case's transcripts must be in its locale's script (InputFileError otherwise)."""
    for case in manifest.cases:
        chinese = [_mostly_chinese(t.transcript) for t in case.turns]
        if case.locale == "en" and any(chinese):
            turn = chinese.index(True) + 1
            raise InputFileError(
                f"{manifest.path}: case {case.id!r} is tagged locale en but turn {turn} "
                "is written in Chinese characters (tag the case or manifest 'locale: zh')"
            )
        if case.locale == "zh" and not any(_has_chinese(t.transcript) for t in case.turns):
            raise InputFileError(
                f"{manifest.path}: case {case.id!r} is tagged locale zh but no turn is "
                "written in Chinese characters (tag it 'locale: en' or fix the transcripts)"
            )


def _has_chinese(text: str) -> bool:
    return any(is_cjk(ch) for ch in text)


def _mostly_chinese(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and 2 * sum(1 for ch in letters if is_cjk(ch)) > len(letters)
