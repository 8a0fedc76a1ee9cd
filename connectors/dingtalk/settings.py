"""The ``[connectors.dingtalk]`` config table and the secrets it names.

The file holds only identifiers and the *names* of environment variables;
secret values (app secret, robot webhook URL with its access token, robot
signing secret) are read from the environment into ``SecretStr`` and never
appear in reprs, logs or error messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from assistant.errors import ConfigError
from connectors.shared.config import parse_table, read_secret
from connectors.shared.urls import require_secure_url


class RobotSettings(BaseModel):
    """A custom group robot (``https://oapi.dingtalk.com/robot/send?access_token=...``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    webhook_env: str = Field(min_length=1, description="env var holding the webhook URL")
    secret_env: str = Field(min_length=1, description="env var holding the SEC... secret")
    conversation_id: str = Field(min_length=1, description="DriveTalk id of the group")
    name: str = "DingTalk group"
    per_minute: int = Field(default=20, ge=1, le=20, description="local send pacing")


class DingTalkSettings(BaseModel):
    """Validated connector config; see the README for every key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_base: str = "https://api.dingtalk.com"
    oapi_base: str = "https://oapi.dingtalk.com"
    app_key: str | None = Field(default=None, min_length=1)
    app_secret_env: str | None = Field(default=None, min_length=1)
    robot_code: str | None = Field(default=None, min_length=1)
    union_id: str | None = Field(default=None, min_length=1, description="calendar owner")
    user_id: str | None = Field(default=None, description="the driver's own userId")
    root_department: int = Field(default=1, ge=1)
    stream: bool = True
    timeout: float = Field(default=10.0, gt=0, le=120)
    token_margin: float = Field(default=300.0, ge=0, description="refresh this early (s)")
    reconnect_max: float = Field(default=60.0, gt=0, description="stream backoff cap (s)")
    calendar_lookback_hours: float = Field(
        default=168.0, ge=0, le=24 * 31, description="how far back a listing looks for events"
    )
    robot: RobotSettings | None = None
    #: Group chats the app robot is in: openConversationId -> spoken name.
    groups: dict[str, str] = Field(default_factory=dict)

    @field_validator("api_base", "oapi_base")
    @classmethod
    def _secure(cls, value: str) -> str:
        try:
            return require_secure_url(value, "DingTalk base URL").rstrip("/")
        except ConfigError as exc:
            raise ValueError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class DingTalkSecrets:
    """Secret values read from the environment; never printed."""

    app_secret: SecretStr | None = field(default=None, repr=False)
    robot_webhook: SecretStr | None = field(default=None, repr=False)
    robot_secret: SecretStr | None = field(default=None, repr=False)


def parse_settings(config: Mapping[str, Any]) -> DingTalkSettings:
    """Validate the table; the error names the key, never a value."""
    settings = parse_table(DingTalkSettings, config, "connectors.dingtalk")
    if settings.app_key is None and settings.robot is None:
        raise ConfigError("[connectors.dingtalk] needs app_key (enterprise app) or a [robot] table")
    if settings.app_key is not None and settings.app_secret_env is None:
        raise ConfigError("[connectors.dingtalk] app_key is set but app_secret_env is missing")
    return settings


def read_secrets(settings: DingTalkSettings, env: Mapping[str, str]) -> DingTalkSecrets:
    """Read the secrets named by ``settings`` from ``env``."""
    app_secret = _env(env, settings.app_secret_env, "app_secret_env")
    webhook = secret = None
    if settings.robot is not None:
        webhook = _env(env, settings.robot.webhook_env, "robot.webhook_env")
        secret = _env(env, settings.robot.secret_env, "robot.secret_env")
        assert webhook is not None
        require_secure_url(webhook.get_secret_value(), "robot webhook URL", quote=False)
    return DingTalkSecrets(app_secret=app_secret, robot_webhook=webhook, robot_secret=secret)


def _env(env: Mapping[str, str], name: str | None, key: str) -> SecretStr | None:
    if name is None:
        return None
    return read_secret(env, name, table="connectors.dingtalk", key=key)
