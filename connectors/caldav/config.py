"""``[connectors.caldav]``: the server, the account, and where the password lives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from connectors.shared.config import parse_table, read_secret


class CalDAVConfig(BaseModel):
    """Validated ``[connectors.caldav]`` table.

    ``url`` may be a calendar collection, or any URL on the server from which
    the calendar is discovered (principal, then calendar home, then the
    calendar named ``calendar`` or the first one found).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    username: str
    password_env: str
    calendar: str | None = Field(default=None, description="display name or path segment")
    timeout: float = Field(default=10.0, gt=0, le=300)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (or http:// on loopback)")
        return value if value.endswith("/") else value + "/"


def parse_config(raw: Mapping[str, Any], env: Mapping[str, str]) -> tuple[CalDAVConfig, SecretStr]:
    """Validate the table and read the password from ``env``; ConfigError if either is wrong."""
    config = parse_table(CalDAVConfig, raw, "connectors.caldav")
    return config, read_secret(
        env, config.password_env, table="connectors.caldav", key="password_env"
    )
