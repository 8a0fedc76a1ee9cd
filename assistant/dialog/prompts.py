"""The prompt catalogue: every sentence the assistant says, as data.

``prompts.yaml`` next to this module maps dotted keys to ``str.format``
templates, and ``vocabulary`` lists to the phrases a constrained-listening
turn expects. Loaded once; a missing key or placeholder is a programming
error and raises :class:`~assistant.errors.DialogError` loudly.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from assistant.errors import DialogError


@cache
def _catalogue() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("prompts.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or "prompts" not in data:
        raise DialogError("the prompt catalogue has no 'prompts' table")
    return data


def prompt(key: str, **values: Any) -> str:
    """The sentence for ``key`` (e.g. ``"send.confirm"``) filled with ``values``."""
    node: Any = _catalogue()["prompts"]
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise DialogError(f"no prompt {key!r} in the catalogue")
        node = node[part]
    try:
        text = str(node).format(**values).strip()
    except (KeyError, IndexError) as exc:
        raise DialogError(f"prompt {key!r} needs the value {exc}") from exc
    # Templates may start with a value ("{count} in Project Apollo."): a
    # sentence still starts with a capital letter.
    return text[:1].upper() + text[1:]


def vocabulary(name: str) -> tuple[str, ...]:
    """The phrases a constrained-listening turn of kind ``name`` expects."""
    words = _catalogue().get("vocabulary", {}).get(name)
    if words is None:
        raise DialogError(f"no vocabulary {name!r} in the catalogue")
    return tuple(words)
