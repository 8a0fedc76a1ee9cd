"""A contacts file's directory index, built once and kept on disk.

Building the index of a 100,000-person CSV takes seconds; a driver's
assistant starts many times with the same file. The built index is pickled
under a key made of the file's bytes (SHA-256), the phonetic rules and
:data:`CACHE_VERSION`, so any change to the file, the rules or the index's
layout builds it afresh. The index keeps its bulk as columns and arrays
(intents/index_columns.py), so loading it makes few Python objects. A
cache that cannot be read or written is only a slower start, never an
error: the file itself is always the truth.

The cache directory holds only files this module wrote (pickles are code:
never point it at a directory others write to).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from intents.contacts import ContactIndex
from intents.directory import read_contacts
from intents.index_columns import collector_paused

#: Bump when ContactIndex's fields change: older caches are then ignored.
CACHE_VERSION = 6
_log = logging.getLogger(__name__)


def cache_key(data: bytes, phonetics: Mapping[str, Any]) -> str:
    """The cache key of a contacts file's bytes under the phonetic rules."""
    digest = hashlib.sha256()
    digest.update(f"v{CACHE_VERSION}\0".encode())
    digest.update(json.dumps(phonetics, sort_keys=True, default=str).encode())
    digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()


def load_index(path: Path, phonetics: Mapping[str, Any], cache_dir: Path | None) -> ContactIndex:
    """The index of the contacts file ``path``, from ``cache_dir`` when built before.

    Without a ``cache_dir`` the index is built and not kept. A bad contacts
    file raises InputFileError exactly as :func:`read_contacts` does.
    """
    if cache_dir is None:
        return ContactIndex(read_contacts(path), phonetics)
    try:
        data = path.read_bytes()
    except OSError:
        return ContactIndex(read_contacts(path), phonetics)  # read_contacts names the error
    cached = cache_dir / f"contacts-{cache_key(data, phonetics)[:40]}.pickle"
    index = _read(cached)
    if index is None:
        index = ContactIndex(read_contacts(path), phonetics)
        _write(cached, index)
    return index


def _read(cached: Path) -> ContactIndex | None:
    try:
        with cached.open("rb") as handle, collector_paused():
            index = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a torn or stale cache is rebuilt, never fatal
        _log.warning(
            "contacts index cache %s unreadable (%s): rebuilding", cached, type(exc).__name__
        )
        return None
    return index if isinstance(index, ContactIndex) else None


def _write(cached: Path, index: ContactIndex) -> None:
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
    except OSError as exc:
        _log.warning("contacts index cache %s not written: %s", cached, exc.strerror or exc)
        return
    try:
        with os.fdopen(handle, "wb") as out:
            pickle.dump(index, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, cached)  # readers see the whole file or none
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        _log.warning("contacts index cache %s not written: %s", cached, exc.strerror or exc)
