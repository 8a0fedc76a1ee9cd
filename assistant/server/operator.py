"""The operator token: who may read fleet-wide figures (``/metrics``, ``/readyz`` details).

It is not a vehicle key: it lives in the environment variable named by
``server.operator_token_env`` (default ``DRIVETALK_OPERATOR_TOKEN``), is
compared in constant time, and is never logged or shown in a repr. Without
it, ``/metrics`` is refused to everyone and ``/readyz`` shows each vehicle
only its own readiness.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from assistant.config import Settings
from assistant.errors import ConfigError

#: Shortest token accepted: guessing must not be an option.
MIN_TOKEN_CHARS = 24


@dataclass(frozen=True, slots=True)
class Operator:
    """The caller presented the operator token."""


class OperatorToken:
    """The configured token (or none); ``matches`` compares digests in constant time."""

    def __init__(self, token: SecretStr | None) -> None:
        self._digest = hashlib.sha256(token.get_secret_value().encode()).digest() if token else None

    def __repr__(self) -> str:
        return f"OperatorToken(configured={self.configured})"

    @property
    def configured(self) -> bool:
        """Whether an operator token is set."""
        return self._digest is not None

    def matches(self, presented: str) -> bool:
        """Whether ``presented`` is the operator token."""
        if self._digest is None:
            return False
        given = hashlib.sha256(presented.encode("utf-8", "replace")).digest()
        return hmac.compare_digest(given, self._digest)

    @classmethod
    def from_env(cls, settings: Settings, env: Mapping[str, str]) -> OperatorToken:
        """Read the token from ``server.operator_token_env``; ConfigError if it is too short."""
        name = settings.server.operator_token_env
        value = env.get(name, "").strip()
        if not value:
            return cls(None)
        if len(value) < MIN_TOKEN_CHARS:
            raise ConfigError(
                f"the operator token in {name} is too short: use at least {MIN_TOKEN_CHARS}"
                " random characters (e.g. `python -c 'import secrets;"
                " print(secrets.token_urlsafe(32))'`)"
            )
        if value.startswith("dtk_"):
            raise ConfigError(
                f"the operator token in {name} looks like a vehicle key (dtk_...);"
                " it must be a separate secret"
            )
        return cls(SecretStr(value))
