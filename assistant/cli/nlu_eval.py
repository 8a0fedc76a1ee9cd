"""``drivetalk nlu-eval FILE``: intent accuracy on a SLURP-format JSONL file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from assistant.cli.options import clock_from, now_option, settings_from, tz_option
from assistant.cli.parse import (
    contacts_option,
    index_cache_dir,
    index_cache_option,
    locale_option,
)
from intents.evaluation import Report, evaluate, is_even, read_examples
from intents.parser import Parser


@click.command("nlu-eval")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option(
    "--half",
    type=click.Choice(["all", "even", "odd"]),
    default="all",
    show_default=True,
    help="Only even slurp_ids (development half) or odd ones (held out).",
)
@click.option(
    "--arbiter/--no-arbiter",
    default=None,
    help="With or without the statistical arbiter beside the grammar (default: [nlu] arbiter).",
)
@click.option(
    "--compare",
    is_flag=True,
    help="Score the grammar alone and the grammar with the arbiter, one after the other.",
)
@contacts_option
@index_cache_option
@locale_option
@now_option
@tz_option
@click.pass_context
def command(
    ctx: click.Context,
    *,
    file: Path,
    as_json: bool,
    half: str,
    arbiter: bool | None,
    compare: bool,
    contacts_file: Path | None,
    index_cache: str | None,
    now_text: str | None,
    tz_name: str | None,
    locale: str | None,
) -> None:
    """Per-intent accuracy, out-of-domain false actions and confusions on FILE."""
    settings = settings_from(ctx, locale=locale)
    now = clock_from(settings, now_text, tz_name)
    if contacts_file:
        cache = index_cache_dir(index_cache)
        parser = Parser.from_contacts_file(contacts_file, settings.locale, cache)
    else:
        parser = Parser.from_contacts([], settings.locale)
    examples = list(read_examples(file))
    if half != "all":
        examples = [e for e in examples if is_even(e) == (half == "even")]
    ways = (False, True) if compare else (settings.nlu.arbiter if arbiter is None else arbiter,)
    reports = {}
    for way in ways:
        parser.arbiter = way
        reports["arbiter" if way else "grammar"] = evaluate(parser, examples, now)
    if as_json:
        data = {name: r.to_json() for name, r in reports.items()}
        click.echo(json.dumps(data if compare else next(iter(data.values())), indent=2))
    elif compare:
        click.echo("\n\n".join(f"# {name}\n{render(r)}" for name, r in reports.items()))
    else:
        click.echo(render(next(iter(reports.values()))))


def render(report: Report) -> str:
    """The report as a small plain-text table."""
    data = report.to_json()
    lines = [f"{'intent':<16}{'n':>6}{'correct':>9}{'accuracy':>10}"]
    for name, row in data["per_intent"].items():
        lines.append(f"{name:<16}{row['total']:>6}{row['correct']:>9}{row['accuracy']:>10.1%}")
    inside = data["in_domain"]
    lines.append(f"{'in-domain':<16}{inside['total']:>6}{'':>9}{inside['accuracy']:>10.1%}")
    ood = data["out_of_domain"]
    lines.append(
        f"out-of-domain false actions: {ood['false_actions']}/{ood['total']}"
        f" ({ood['false_action_rate']:.2%})"
    )
    if data["excluded"]:
        lines.append(f"excluded (out of scope): {data['excluded']}")
    if data["confusions"]:
        lines.append("confusions (gold -> parsed: count):")
        lines.extend(f"  {c['gold']} -> {c['parsed']}: {c['count']}" for c in data["confusions"])
    return "\n".join(lines)
