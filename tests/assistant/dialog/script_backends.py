"""What a conversation script runs against: the local demo store, or a webhook and a directory.

A script's optional ``settings`` table chooses another backend and a
``[directory]``::

    settings: {backend: webhook, directory: {path: people.csv}}

``backend: webhook`` runs the script against a real loopback receiver
(:mod:`tests.faults.receiver`: it checks the signature with its own code,
against the script's fixed clock, and counts what it got); ``directory.path``
is a file under ``data/``. Without ``settings`` a script talks to the local
store of the demo organisation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from tests.conftest import NOW
from tests.faults.receiver import SECRET, Receiver

DATA = Path(__file__).parent / "data"
#: The environment variable the script's webhook secret is read from.
SECRET_ENV = "DRIVETALK_SCRIPT_WEBHOOK_SECRET"


def _wanted(script: Mapping[str, Any]) -> dict[str, Any]:
    wanted = dict(script.get("settings", {}))
    unknown = set(wanted) - {"backend", "directory"}
    assert not unknown, f"{script.get('name')}: unknown script settings {sorted(unknown)}"
    return wanted


@contextmanager
def script_receiver(script: Mapping[str, Any]) -> Iterator[Receiver | None]:
    """A loopback webhook receiver when the script's backend is ``webhook``, else None."""
    if _wanted(script).get("backend") != "webhook":
        yield None
        return
    # The script's clock is fixed in 2026: the receiver checks signatures against it.
    receiver = Receiver(clock=NOW.timestamp)
    receiver.up()
    try:
        yield receiver
    finally:
        receiver.close()


def script_settings(
    script: Mapping[str, Any],
    data_dir: Path,
    receiver: Receiver | None,
    monkeypatch: pytest.MonkeyPatch,
    **fixed: Any,
) -> Settings:
    """The settings a script's session is opened with (``fixed``: the locale, say)."""
    wanted = _wanted(script)
    directory = dict(wanted.get("directory", {}))
    if "path" in directory:
        directory["path"] = DATA / directory["path"]
    # The local store holds the demo organisation (seeded only when asked).
    connectors: dict[str, dict[str, Any]] = {"local": {"seed_demo": True}}
    if receiver is not None:
        monkeypatch.setenv(SECRET_ENV, SECRET)
        connectors["webhook"] = {"url": receiver.url, "secret_env": SECRET_ENV}
    return Settings(
        data_dir=data_dir,
        backend=wanted.get("backend", "local"),
        directory=directory,
        connectors=connectors,
        dialog=script.get("dialog", {}),
        **fixed,
    )


def check_delivered(receiver: Receiver, expected: Mapping[str, Any]) -> None:
    """What the enterprise's endpoint got: each message once, addressed by id."""
    got = [
        {"to": receiver.recipients[key], "body": body} for key, body in receiver.accepted.items()
    ]
    assert got == [{"to": m["to"], "body": m["body"]} for m in expected.get("delivered", [])]
    assert all(count == 1 for count in receiver.requests.values()), receiver.requests
