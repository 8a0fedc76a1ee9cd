"""Helpers for Matrix tests: connector context, config table, reading a room."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from connectors.registry import ConnectorContext
from tests.servers.synapse import MatrixUser, SynapseServer, call


def context(
    tmp_path: Path, http: httpx.AsyncClient | None, env: dict[str, str]
) -> ConnectorContext:
    """A connector context for tests."""
    return ConnectorContext(
        data_dir=tmp_path,
        zone=ZoneInfo("Asia/Shanghai"),
        http=http,
        env=env,
        now=lambda: datetime.now(UTC),
    )


def matrix_config(synapse_url: str, user: MatrixUser, **extra: object) -> dict[str, object]:
    """A ``[connectors.matrix]`` table using a token from MATRIX_TOKEN."""
    return {
        "homeserver": synapse_url,
        "user_id": user.user_id,
        "access_token_env": "MATRIX_TOKEN",
        "timeout": 20.0,
        "sync_timeout": 5.0,
        **extra,
    }


def room_bodies(synapse: SynapseServer, user: MatrixUser, room_id: str) -> list[str]:
    """Every message body in a room as ``user`` sees it, oldest first."""
    reply = call(
        synapse,
        user,
        "GET",
        f"/rooms/{room_id}/messages",
        params={"dir": "b", "limit": "1000", "filter": '{"types": ["m.room.message"]}'},
    )
    chunk = reply["chunk"]
    assert isinstance(chunk, list)
    return [str(e["content"]["body"]) for e in reversed(chunk)]
