"""A process that confirms a message and then gets killed (``kill -9``) by its test.

``python -m tests.servers.outbox_child OUTBOX HOMESERVER USER ROOM BODY KEY MODE``
with the access token in ``MATRIX_TOKEN``. MODE ``enqueue``: the message is
enqueued and the process waits to be killed before any network call. MODE
``sent``: the message is also sent (the homeserver has it) but the outbox has
not recorded the delivery when the kill comes. Prints ``READY`` when the
parent may kill it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from assistant.models import OutgoingMessage
from connectors.matrix.config import parse_config
from connectors.matrix.connector import MatrixConnector
from connectors.outbox import Outbox


async def _send(message: OutgoingMessage, homeserver: str, user: str) -> None:
    config, credentials = parse_config(
        {"homeserver": homeserver, "user_id": user, "access_token_env": "MATRIX_TOKEN"},
        os.environ,
    )
    connector = MatrixConnector(config, credentials)
    try:
        await connector.send(message)
    finally:
        await connector.aclose()


def main(argv: list[str]) -> None:
    outbox_path, homeserver, user, room, body, key, mode = argv
    message = OutgoingMessage(key, room, "Project Apollo", body, to_group=True)
    outbox = Outbox.open(Path(outbox_path))
    outbox.enqueue(message)
    if mode == "sent":
        asyncio.run(_send(message, homeserver, user))
    print("READY", flush=True)
    time.sleep(600)  # killed long before this ends


if __name__ == "__main__":
    main(sys.argv[1:])
