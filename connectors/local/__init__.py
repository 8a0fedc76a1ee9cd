"""The embedded default backend: SQLite under the user data directory."""

from connectors.local.connector import LocalConnector
from connectors.local.store import LocalStore

__all__ = ["LocalConnector", "LocalStore"]
