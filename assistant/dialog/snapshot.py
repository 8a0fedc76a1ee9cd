"""A dialog between two turns as JSON: what a session keeps in the fleet database.

The dialog's memory is frozen dataclasses (:mod:`assistant.dialog.state`)
plus the runner's open answer window (what the last question expects, so a
"yes" after a replica change still answers the draft awaiting it). Each
dataclass is written with its class name, datetimes as ISO text with their
offset, enums by value; only the classes listed here can be read back, so a
row never instantiates anything else. Sequences come back as tuples, as the
frozen dataclasses hold them.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from enum import Enum
from typing import Any

from assistant.dialog import state as dialog_state
from assistant.dialog.runner import AnswerWindow
from assistant.errors import StorageError
from assistant.models import CalendarEvent, Contact, Message
from intents.result import Expect, ParseContext

#: Bump when a field changes meaning; older snapshots are then refused, not misread.
FORMAT = 1

_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        dialog_state.DialogState,
        dialog_state.Policy,
        dialog_state.Target,
        dialog_state.PendingName,
        dialog_state.MessageDraft,
        dialog_state.Reading,
        dialog_state.Offer,
        dialog_state.CalendarQuery,
        dialog_state.NewEvent,
        dialog_state.Cancelling,
        dialog_state.Moving,
        dialog_state.ContactLookup,
        dialog_state.Question,
        dialog_state.CallOffer,
        dialog_state.Suspended,
        Contact,
        Message,
        CalendarEvent,
        ParseContext,
        AnswerWindow,
    )
}
_ENUMS: dict[str, type[Enum]] = {"Expect": Expect}


@dataclasses.dataclass(frozen=True, slots=True)
class DialogSnapshot:
    """The dialog's state and the open answer window, as one value."""

    state: dialog_state.DialogState
    window: AnswerWindow


def dump(snapshot: DialogSnapshot) -> str:
    """The snapshot as compact JSON."""
    data = {"format": FORMAT, "state": _encode(snapshot.state), "window": _encode(snapshot.window)}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def load(text: str) -> DialogSnapshot:
    """Read a snapshot written by :func:`dump` (StorageError if it is not one)."""
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise StorageError(f"dialog snapshot format {data.get('format')!r} is not {FORMAT}")
        state, window = _decode(data["state"]), _decode(data["window"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StorageError(f"unreadable dialog snapshot: {exc}") from exc
    if not isinstance(state, dialog_state.DialogState) or not isinstance(window, AnswerWindow):
        raise StorageError("unreadable dialog snapshot: wrong types")
    return DialogSnapshot(state, window)


def _encode(value: object) -> object:
    if isinstance(value, Enum):
        return {"$enum": type(value).__name__, "value": value.value}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if _CLASSES.get(name) is not type(value):
            raise StorageError(f"{name} cannot be kept in a dialog snapshot")
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$": name, **fields}
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise StorageError(f"{type(value).__name__} cannot be kept in a dialog snapshot")


def _decode(value: object) -> object:
    if isinstance(value, list):
        return tuple(_decode(item) for item in value)
    if not isinstance(value, dict):
        return value
    if "$dt" in value:
        return datetime.fromisoformat(value["$dt"])
    if "$enum" in value:
        return _ENUMS[value["$enum"]](value["value"])
    cls = _CLASSES[value["$"]]
    return cls(**{name: _decode(item) for name, item in value.items() if name != "$"})
