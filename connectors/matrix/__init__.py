"""Matrix backend: messaging and directory over the client-server API (see connector.py)."""

from connectors.matrix.connector import MatrixConnector

__all__ = ["MatrixConnector"]
