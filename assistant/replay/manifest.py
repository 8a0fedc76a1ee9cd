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

A manifest may also name its own directory, ``contacts: people.csv`` (a
contacts file as ``drivetalk parse --contacts`` reads, relative to the
manifest: every case then runs against a fresh store holding just those
people), and its release gate, ``gate: {max_wer: 0.25, ...}`` (see
:mod:`assistant.replay.gate`).

Pydantic validates the file at this edge (:mod:`.manifest_schema`); the rest
of the harness works on the frozen dataclasses below. Every problem of the
file is collected and reported at once as a
:class:`~assistant.errors.ManifestError`, one line each naming the file and
the place: unknown keys, bad values, unknown intents, slots the intent does
not have (:mod:`intents.slot_contract`), outcome keys the backend never
reports, duplicate ids, a mis-tagged case (Chinese transcripts in a case
tagged ``en``, none in one tagged ``zh``, which would otherwise be scored as
a parser failure), a missing contacts file, and, for an audio replay,
every missing recording.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from assistant.config import GateSettings
from assistant.errors import InputFileError, ManifestError
from assistant.locales import LOCALES, Locale, is_cjk, is_locale
from assistant.models import Contact, Intent
from assistant.replay.manifest_schema import (
    CaseModel,
    HeadModel,
    OutcomeModel,
    case_label,
    validate,
)
from intents.directory import read_contacts
from intents.slot_contract import slot_names

#: File names looked for when the replay path is a directory, in this order.
MANIFEST_NAMES = ("manifest.yaml", "manifest.yml", "manifest.json", "manifest.jsonl")
#: The keys an expected outcome item may name (what the replay backend records).
OUTCOME_KEYS = {
    "sent": frozenset({"to", "body", "urgent", "group", "in_reply_to"}),
    "created": frozenset({"id", "title", "start", "end", "attendees", "location"}),
    "cancelled": frozenset({"id", "title", "start", "end", "attendees", "location"}),
}


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
    now: datetime  # aware, in the manifest's zone
    cases: tuple[Case, ...]
    #: The manifest's own locale (each case carries its effective one).
    locale: Locale = "en"
    #: The manifest's own directory (``contacts:``), or None for the demo organisation.
    contacts: tuple[Contact, ...] | None = field(default=None, hash=False)
    contacts_file: Path | None = None
    #: The manifest's release gate (``gate:``), or None.
    gate: GateSettings | None = None

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
        """ManifestError naming every missing recording."""
        problems = _audio_problems(self.cases)
        if problems:
            raise ManifestError([f"{self.path}: {p}" for p in problems])


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


def load_manifest(path: str | Path, *, audio: bool = False) -> Manifest:
    """Read and check a manifest (and, with ``audio``, that every recording exists).

    Raises InputFileError for a file that cannot be read at all, and one
    ManifestError listing every problem otherwise.
    """
    file = find_manifest(Path(path))
    data = _read(file)
    checked = validate(data)
    head = checked.head
    locale: Locale = head.locale if head is not None and is_locale(head.locale) else "en"
    problems = list(checked.head_problems)
    cases = []
    for index, (raw, model, schema_problems) in enumerate(checked.cases):
        where = f"case {case_label(raw, index)}"
        problems += schema_problems
        problems += [
            f"{where}, {p}" for p in _raw_problems(raw, file.parent, audio=audio, locale=locale)
        ]
        if model is not None:
            case = _case(file.parent, model, locale)
            tagging = _tagging_problem(case)
            problems += [f"{where} {tagging}"] if tagging else []
            cases.append(case)
    problems += _duplicates(checked.cases)
    contacts, contacts_file = None, None
    if isinstance(data.get("contacts"), str) and data["contacts"]:
        contacts_file = file.parent / data["contacts"]
        contacts, problem = _contacts(contacts_file)
        problems += [problem] if problem else []
    if problems or head is None:
        raise ManifestError([f"{file}: {p}" for p in problems] or [f"{file}: not a manifest"])
    return Manifest(
        path=file,
        now=_now(head),
        cases=tuple(cases),
        locale=locale,
        contacts=contacts,
        contacts_file=contacts_file,
        gate=head.gate,
    )


def _now(head: HeadModel) -> datetime:
    zone = ZoneInfo(head.clock.zone)
    now = head.clock.now
    return now.replace(tzinfo=zone) if now.tzinfo is None else now.astimezone(zone)


def _read(file: Path) -> dict[str, Any]:
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
        raise InputFileError(f"manifest {file} is not valid YAML: {_first_line(exc)}") from exc
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


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]


def _duplicates(cases: list[tuple[Any, Any, list[str]]]) -> list[str]:
    seen: set[str] = set()
    problems = []
    for raw, _model, _problems in cases:
        case_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(case_id, str) and case_id in seen:
            problems.append(f"case id {case_id!r} appears twice")
        if isinstance(case_id, str):
            seen.add(case_id)
    return problems


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


def _case(base: Path, model: CaseModel, locale: Locale) -> Case:
    own = model.locale
    return Case(
        id=model.id,
        turns=tuple(
            Turn(
                transcript=t.transcript,
                intent=t.intent,
                slots=_plain(t.slots),
                audio=(base / t.audio) if t.audio else None,
            )
            for t in model.turns
        ),
        tags={k: str(v) for k, v in model.tags.items()},
        outcome=None if model.outcome is None else _given(model.outcome),
        locale=own if own is not None and is_locale(own) else locale,
    )


def _raw_problems(raw: Any, base: Path, *, audio: bool, locale: Locale) -> list[str]:
    """Slots, outcome keys and recordings, read from the file as written.

    Checked on the raw data so that a case with a schema problem still has
    these reported in the same run.
    """
    if not isinstance(raw, dict):
        return []
    own = raw.get("locale")
    locale = own if is_locale(own) else locale
    turns = raw.get("turns")
    problems: list[str] = []
    for number, turn in enumerate(turns if isinstance(turns, list) else [], start=1):
        if isinstance(turn, dict):
            problems += [f"turn {number}, {p}" for p in _slot_problems(turn, locale)]
            problems += [f"turn {number}: {p}" for p in _audio_problem(turn, base)] if audio else []
    return problems + _outcome_problems(raw.get("outcome"))


def _slot_problems(turn: dict[str, Any], locale: Locale) -> list[str]:
    """A slot the intent never carries can never match: name it against the contract."""
    slots, intent = turn.get("slots"), turn.get("intent")
    if not isinstance(slots, dict) or intent not in set(Intent):
        return []
    allowed = slot_names(Intent(intent), locale)
    has = f"its slots: {', '.join(sorted(allowed))}" if allowed else "it has no slots"
    return [
        f"slots: {name!r} is not a slot of {intent} ({has})"
        for name in slots
        if name not in allowed
    ]


def _outcome_problems(outcome: Any) -> list[str]:
    if not isinstance(outcome, dict):
        return []
    problems = []
    for kind, known in OUTCOME_KEYS.items():
        items = outcome.get(kind)
        for number, item in enumerate(items if isinstance(items, list) else [], start=1):
            problems += [
                f"outcome.{kind} #{number}: unknown key {key!r} "
                f"(expected one of {', '.join(sorted(known))})"
                for key in (item if isinstance(item, dict) else {})
                if key not in known
            ]
    return problems


def _audio_problem(turn: dict[str, Any], base: Path) -> list[str]:
    name = turn.get("audio")
    if not isinstance(name, str) or not name:
        return ["no 'audio' entry (replay it with --transcripts)"]
    return [] if (base / name).is_file() else [f"audio file not found: {base / name}"]


def _tagging_problem(case: Case) -> str | None:
    """A case's transcripts must be in its locale's script."""
    chinese = [_mostly_chinese(t.transcript) for t in case.turns]
    if case.locale == "en" and any(chinese):
        turn = chinese.index(True) + 1
        return (
            f"is tagged locale en but turn {turn} is written in Chinese characters "
            "(tag the case or manifest 'locale: zh')"
        )
    if case.locale == "zh" and not any(_has_chinese(t.transcript) for t in case.turns):
        return (
            "is tagged locale zh but no turn is written in Chinese characters "
            "(tag it 'locale: en' or fix the transcripts)"
        )
    return None


def _audio_problems(cases: tuple[Case, ...]) -> list[str]:
    problems = []
    for case in cases:
        for number, turn in enumerate(case.turns, start=1):
            where = f"case {case.id!r}, turn {number}"
            if turn.audio is None:
                problems.append(f"{where}: no 'audio' entry (replay it with --transcripts)")
            elif not turn.audio.is_file():
                problems.append(f"{where}: audio file not found: {turn.audio}")
    return problems


def _contacts(path: Path) -> tuple[tuple[Contact, ...] | None, str | None]:
    if not path.is_file():
        return None, f"contacts: file not found: {path}"
    try:
        contacts = tuple(read_contacts(path))
    except InputFileError as exc:
        return None, f"contacts: {exc}"
    if not contacts:
        return None, f"contacts: {path} holds nobody"
    return contacts, None


def _has_chinese(text: str) -> bool:
    return any(is_cjk(ch) for ch in text)


def _mostly_chinese(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and 2 * sum(1 for ch in letters if is_cjk(ch)) > len(letters)
