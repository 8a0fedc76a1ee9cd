"""Write the demo organisation's directory as a contacts file for ``--contacts``.

    .venv/bin/python benchmarks/demo_contacts.py > /tmp/demo_contacts.json
    .venv/bin/drivetalk nlu-eval --locale zh benchmarks/data/zh_dev.jsonl \\
        --contacts /tmp/demo_contacts.json --now 2026-11-23T08:00

People (with their aliases: the names in characters once the demo carries
them) and group chats, exactly as ``connectors/local/demo_org.yaml`` lists them.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from connectors.local.demo import load_demo_organisation

_FIELDS = ("id", "name", "department", "title", "phone", "email")


def demo_rows() -> list[dict[str, Any]]:
    """The demo people and groups as JSON contact objects."""
    org = load_demo_organisation()
    rows: list[dict[str, Any]] = []
    for person in org["people"]:
        row = {f: person[f] for f in _FIELDS if f in person}
        rows.append({**row, "kind": "person", "aliases": list(person.get("aliases", ()))})
    for group in org.get("groups", ()):
        aliases = list(group.get("aliases", ()))
        rows.append({"id": group["id"], "name": group["name"], "kind": "group", "aliases": aliases})
    return rows


if __name__ == "__main__":
    json.dump(demo_rows(), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
