"""The parser on a SLURP-format phrasing set, names resolved against the demo organisation.

``drivetalk nlu-eval`` resolves names against ``--contacts`` only; the driver
sets name the demo organisation's people (connectors/local/demo_org.yaml), so
this script builds that directory and prints the figures and every miss.

Run: ``.venv/bin/python benchmarks/driver_eval.py FILE [--half all|even|odd] [--misses]
[--locale en|zh] [--no-arbiter | --compare]`` (``--compare``: the grammar alone, then
with the statistical arbiter, in one run).
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from assistant.models import ACTION_INTENTS, Contact
from connectors.local.demo import load_demo_organisation
from intents.evaluation import evaluate, is_even, load_mapping, read_examples
from intents.parser import Parser

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def demo_directory() -> list[Contact]:
    """The people and group chats of the demo organisation."""
    org = load_demo_organisation()
    contacts = []
    for row, kind in [(p, "person") for p in org["people"]] + [(g, "group") for g in org["groups"]]:
        fields = {k: row[k] for k in ("id", "name", "department", "title") if k in row}
        contacts.append(Contact(**fields, kind=kind, aliases=tuple(row.get("aliases", ()))))
    return contacts


def main() -> None:
    """Print in-domain accuracy, out-of-domain false actions and (optionally) each miss."""
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("file", type=Path)
    args.add_argument("--half", choices=("all", "even", "odd"), default="all")
    args.add_argument("--misses", action="store_true")
    args.add_argument("--locale", choices=("en", "zh"), default="en")
    args.add_argument("--no-arbiter", action="store_true", help="the grammar alone")
    args.add_argument("--compare", action="store_true", help="grammar alone, then with arbiter")
    options = args.parse_args()
    examples = list(read_examples(options.file))
    if options.half != "all":
        examples = [e for e in examples if is_even(e) == (options.half == "even")]
    parser = Parser.from_contacts(demo_directory(), locale=options.locale)
    ways = (False, True) if options.compare else (not options.no_arbiter,)
    for way in ways:
        parser.arbiter = way
        report = evaluate(parser, examples, NOW)
        print(
            f"- {options.file.name} ({options.half}, {'arbiter' if way else 'grammar alone'}):"
            f" in-domain {report.in_domain_accuracy:.1%} of {report.in_domain_total};"
            f" out-of-domain false actions {report.ood_false_actions}/{report.ood_total}"
            f" ({report.ood_false_action_rate:.2%})"
        )
    if not options.misses:
        return
    mapping = load_mapping()
    for example in examples:
        got = parser.parse(example.text, now=NOW).intent
        accepted = mapping.get(example.gold)
        if example.gold in mapping and accepted is None:
            continue
        if accepted is None and got in ACTION_INTENTS:
            print(f"  out of domain -> {got.value}: {example.text}")
        elif accepted is not None and got.value not in accepted:
            print(f"  {accepted[0]} -> {got.value}: {example.text}")


if __name__ == "__main__":
    main()
