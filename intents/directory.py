"""Read a contacts file for ``--contacts FILE`` (JSON list or CSV).

Columns / keys: ``id``, ``name`` (required), ``kind`` ("person" or "group"),
``department``, ``title``, ``phone``, ``email``, ``aliases`` (a JSON list, or
in CSV a ``;``-separated string), and for a name in two scripts ``name_zh``
(the name in Chinese characters, 李伟) and ``pinyin`` ("Lǐ Wěi", "li3 wei3" or
"li wei"). Both become aliases, ``name_zh`` first: the first alias written in
characters is the name a Chinese dialog says. Any problem is one
InputFileError line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant.errors import InputFileError
from assistant.models import Contact
from intents.phonetics import has_han, is_han_name

_SCRIPT_FIELDS = ("name_zh", "pinyin")


def read_contacts(path: Path) -> list[Contact]:
    """Contacts from a ``.json`` or ``.csv`` file (by suffix, else by content)."""
    try:
        # utf-8-sig: spreadsheet programs start CSV files with a byte order mark.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"contacts file {path} is not UTF-8 text (byte {exc.start});"
            " save it as UTF-8 CSV or JSON"
        ) from None
    except OSError as exc:
        raise InputFileError(f"cannot read contacts file {path}: {exc.strerror or exc}") from exc
    is_json = path.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{"))
    if is_json:
        rows = _json_rows(path, text)
        return [_contact(_Where(path, ": entry ", n), row) for n, row in enumerate(rows, start=1)]
    # Line numbers as an editor shows them: the header is line 1.
    return [_contact(_Where(path, ":", line), row) for line, row in _csv_rows(path, text)]


class _Where:
    """Where a row is, put into words only when it is wrong: formatting the
    place of each of 100,000 good rows was a tenth of a cold start."""

    __slots__ = ("number", "path", "sep")

    def __init__(self, path: Path, sep: str, number: int) -> None:
        self.path, self.sep, self.number = path, sep, number

    def __str__(self) -> str:
        return f"{self.path}{self.sep}{self.number}"


def _json_rows(path: Path, text: str) -> list[Mapping[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"contacts file {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise InputFileError(f"contacts file {path} must hold a JSON list of objects")
    return data


def _csv_rows(path: Path, text: str) -> list[tuple[int, Mapping[str, Any]]]:
    # csv.reader and one dict per row: DictReader's per-row checks were a
    # third of reading a 100,000-row file. Blank lines are skipped and a
    # short row's missing columns are empty, as DictReader does.
    reader = csv.reader(text.splitlines())
    try:
        fields = [f.strip() for f in next(reader, ())]
        if "id" not in fields or "name" not in fields:
            raise InputFileError(
                f"contacts file {path}:1: the CSV header needs 'id' and 'name' columns"
                f" (found: {', '.join(fields) or 'nothing'})"
            )
        return [(reader.line_num, dict(zip(fields, row, strict=False))) for row in reader if row]
    except csv.Error as exc:
        raise InputFileError(f"contacts file {path}:{reader.line_num}: bad CSV: {exc}") from exc


def _contact(where: object, row: Mapping[str, Any]) -> Contact:
    get = row.get  # called 100,000 times in a cold start: no work a plain row does not need
    name = str(get("name") or "").strip()
    ident = str(get("id") or "").strip()
    if not name or not ident:
        raise InputFileError(f"contacts file {where}: needs an id and a name")
    kind = str(get("kind") or "person").strip()
    if kind not in ("person", "group"):
        raise InputFileError(f"contacts file {where}: has unknown kind {kind!r}")
    aliases = get("aliases") or ()
    if isinstance(aliases, str):
        aliases = [a.strip() for a in aliases.split(";") if a.strip()]
    elif not isinstance(aliases, list | tuple) or not all(isinstance(a, str) for a in aliases):
        raise InputFileError(f"contacts file {where}: aliases must be strings")
    if get("name_zh") or get("pinyin"):
        aliases = [*_script_names(where, row), *aliases]
    return Contact(
        id=ident,
        name=name,
        kind="group" if kind == "group" else "person",
        aliases=tuple(dict.fromkeys(aliases)) if aliases else (),
        department=str(get("department") or ""),
        title=str(get("title") or ""),
        phone=str(get("phone") or ""),
        email=str(get("email") or ""),
    )


def _script_names(where: object, row: Mapping[str, Any]) -> list[str]:
    """The ``name_zh`` and ``pinyin`` columns as aliases (characters first)."""
    names = []
    for field in _SCRIPT_FIELDS:
        value = str(row.get(field) or "").strip()
        if not value:
            continue
        if not is_han_name(value) if field == "name_zh" else has_han(value):
            wanted = "written in Chinese characters" if field == "name_zh" else "in Latin letters"
            raise InputFileError(f"contacts file {where}: {field} must be {wanted}")
        names.append(value)
    return names
