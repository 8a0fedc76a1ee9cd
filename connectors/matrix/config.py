"""``[connectors.matrix]``: where the homeserver is and where the secret lives.

The file names environment variables (``access_token_env`` or
``password_env``); the secret itself is read from the environment when the
connector is built and kept in a :class:`pydantic.SecretStr`, so it never
shows up in a repr, a log line or an error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from assistant.errors import ConfigError
from connectors.shared.config import parse_table, read_secret


class MatrixConfig(BaseModel):
    """Validated ``[connectors.matrix]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    homeserver: str = Field(description="base URL, e.g. https://matrix.example.com")
    user_id: str = Field(description="full Matrix id, e.g. @driver:example.com")
    access_token_env: str | None = None
    password_env: str | None = None
    #: A fixed device keeps transaction ids (our idempotency keys) deduplicated
    #: across restarts: Synapse scopes them to the device.
    device_id: str = "DRIVETALK"
    timeout: float = Field(default=10.0, gt=0, le=300)
    sync_timeout: float = Field(default=30.0, ge=0, le=300)
    #: How many recent events per room are considered for unread messages.
    history_limit: int = Field(default=50, ge=1, le=1000)

    @field_validator("homeserver")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (or http:// on loopback)")
        return value.rstrip("/")

    @field_validator("user_id")
    @classmethod
    def _matrix_id(cls, value: str) -> str:
        if not value.startswith("@") or ":" not in value:
            raise ValueError("must look like @name:server")
        return value


class MatrixCredentials(BaseModel):
    """The secret resolved from the environment: a token, or a password to log in with."""

    model_config = ConfigDict(frozen=True)

    access_token: SecretStr | None = None
    password: SecretStr | None = None


def parse_config(
    raw: Mapping[str, Any], env: Mapping[str, str]
) -> tuple[MatrixConfig, MatrixCredentials]:
    """Validate the table and fetch its secret from ``env``; ConfigError if either is wrong."""
    config = parse_table(MatrixConfig, raw, "connectors.matrix")
    return config, _credentials(config, env)


def _credentials(config: MatrixConfig, env: Mapping[str, str]) -> MatrixCredentials:
    table = "connectors.matrix"
    if config.access_token_env:
        token = read_secret(env, config.access_token_env, table=table, key="access_token_env")
        return MatrixCredentials(access_token=token)
    if config.password_env:
        password = read_secret(env, config.password_env, table=table, key="password_env")
        return MatrixCredentials(password=password)
    raise ConfigError("[connectors.matrix] needs access_token_env or password_env")
