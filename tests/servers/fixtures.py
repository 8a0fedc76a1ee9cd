"""Session fixtures for the real loopback servers, loaded by the root conftest.

Each server starts once per test session, and only if a selected test asks for
it, so ``pytest -m "not synapse"`` never pays for a homeserver.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.storage.database import Database
from assistant.storage.postgres import PostgresDatabase
from assistant.storage.sqlite import SqliteDatabase
from tests.servers.postgres import PostgresServer
from tests.servers.radicale import RadicaleServer
from tests.servers.synapse import SynapseServer


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    """A running Synapse with SQLite; stopped at the end of the session."""
    server = SynapseServer(tmp_path_factory.mktemp("synapse"))
    try:
        server.start()
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.resume()  # a test that failed while the server was paused
        server.stop()


#: Radicale accounts (plain htpasswd); "intruder" owns nothing of the driver's.
RADICALE_USERS = {"driver": "correct horse battery staple", "intruder": "not-the-driver"}


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadicaleServer]:
    """A running Radicale with filesystem storage; stopped at the end of the session."""
    server = RadicaleServer(tmp_path_factory.mktemp("radicale"), RADICALE_USERS)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster on loopback; stopped at the end of the session."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database of each engine: every storage test runs on both."""
    db: Database
    if request.param == "sqlite":
        db = SqliteDatabase.open(tmp_path / "store.sqlite3")
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        db = PostgresDatabase.connect(server.create_database(), max_size=4)
    try:
        yield db
    finally:
        db.close()
