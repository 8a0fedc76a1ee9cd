"""Reading a connector's config table and the secrets it names, the same way everywhere.

A config file holds identifiers and the *names* of environment variables,
never secret values; the value is read from the environment into a
:class:`pydantic.SecretStr` so it cannot appear in a repr, a log line or an
error message. Errors name the table and the key, never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, SecretStr, ValidationError

from assistant.errors import ConfigError

__all__ = ["parse_table", "read_secret"]

M = TypeVar("M", bound=BaseModel)


def parse_table(model: type[M], raw: Mapping[str, Any], table: str) -> M:
    """Validate ``raw`` as ``model``; ConfigError ``[table] key: reason`` on the first fault.

    ``table`` is the TOML path, e.g. ``"connectors.matrix"``. The reason is
    pydantic's, without its ``Value error,`` prefix; the value is not quoted
    (it could be a misplaced secret).
    """
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "table"
        reason = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"[{table}] {where}: {reason}") from None


def read_secret(
    env: Mapping[str, str], name: str, *, table: str, key: str, min_length: int = 1
) -> SecretStr:
    """The secret held by environment variable ``name`` (named by ``key`` in ``[table]``).

    Surrounding whitespace is stripped (a pasted newline is not part of a
    token). ConfigError if the variable is unset, blank or shorter than
    ``min_length`` characters.
    """
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(
            f"[{table}] environment variable {name} is not set or empty (named by {key})"
        )
    if len(value) < min_length:
        raise ConfigError(
            f"[{table}] the secret in {name} is too short (use at least {min_length} characters)"
        )
    return SecretStr(value)
