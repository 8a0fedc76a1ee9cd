"""Which engine this process uses: ``server.database_url`` selects PostgreSQL, else SQLite."""

from __future__ import annotations

from assistant.config import Settings
from assistant.server.keys import KeyStore, default_key_store_path
from assistant.storage.postgres import PostgresDatabase


def fleet_database(settings: Settings) -> PostgresDatabase | None:
    """The shared PostgreSQL database when configured (one clear error if unusable)."""
    url = settings.server.database_url
    return None if url is None else PostgresDatabase.connect(url)


def open_key_store(settings: Settings, shared: PostgresDatabase | None = None) -> KeyStore:
    """The API key store: in the shared database if there is one, else the SQLite file."""
    if shared is not None:
        return KeyStore(shared)
    if settings.server.database_url is not None:
        return KeyStore(PostgresDatabase.connect(settings.server.database_url, max_size=2))
    return KeyStore.open(default_key_store_path(settings.data_dir, settings.server.key_store))
