"""``drivetalk connectors``: list installed backends and check one live.

``list`` imports every entry point of the ``drivetalk.connectors`` group and
shows whether it loaded; a broken plugin is shown with its error (and makes
the command exit 1), never hidden. ``check NAME`` builds the backend from the
``[connectors.NAME]`` table of the config file, with secrets from the
environment, and runs its live authentication and reachability check.
``check NAME --live`` runs the backend's end-to-end walk instead (DingTalk:
token, send to self, calendar round trip, Stream connect), one line a step.
``conform NAME`` runs the conformance kit (:mod:`connectors.conformance`)
against the configured backend: read-only checks, plus ``--write`` round
trips (one message, one event created and cancelled).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import click
import httpx

from assistant.backend import build_backend
from assistant.cli.options import settings_from
from assistant.config import Settings
from assistant.errors import DriveTalkError, UnknownBackendError, UserInputError
from connectors import registry
from connectors.ports import CheckResult

#: Seconds a check may take before it counts as failed (also the per-call HTTP timeout cap).
DEFAULT_CHECK_TIMEOUT = 30.0


@click.group("connectors")
def command() -> None:
    """Chat and calendar backends: what is installed, and whether one works."""


@command.command("list")
def list_command() -> int:
    """Show every installed backend, its ports, whether it needs the network, if it loads."""
    from connectors.conformance import ports_of

    points = registry.available()
    rows = [("NAME", "NETWORK", "PORTS", "STATUS")]
    failed = False
    for name in sorted(points):
        try:
            factory = registry.load(name)
        except DriveTalkError as exc:
            failed = True
            rows.append((name, "?", "?", f"load error: {exc}"))
            continue
        network = "yes" if getattr(factory, "needs_network", True) else "no"
        rows.append((name, network, ",".join(ports_of(factory)) or "none", "loaded"))
    width = max(len(r[0]) for r in rows) + 2
    ports_width = max(len(r[2]) for r in rows) + 2
    for name, network, ports, status in rows:
        click.echo(f"{name:<{width}}{network:<9}{ports:<{ports_width}}{status}")
    return 1 if failed else 0


@command.command("conform")
@click.argument("name")
@click.option(
    "--write",
    is_flag=True,
    help="Also run the round trips that change the backend: send one message (twice, same "
    "idempotency key) and create and cancel one event. Use a test account or an emulator.",
)
@click.option(
    "--recipient", metavar="ID", help="Who --write sends to (default: from the directory)."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=600),
    default=DEFAULT_CHECK_TIMEOUT,
    show_default=True,
    help="Seconds before one check counts as failed.",
)
@click.pass_context
def conform_command(
    ctx: click.Context, name: str, write: bool, recipient: str | None, timeout: float
) -> int:
    """Check backend NAME against the contracts of the ports it implements (exit 0 = conforms)."""
    _require_installed(name)
    settings = settings_from(ctx)
    report = asyncio.run(_conform(name, settings, write, recipient, timeout))
    if isinstance(report, CheckResult):
        click.echo(f"{name}: FAILED - {report.detail}")
        return 1
    for line in report.lines():
        click.echo(f"{name}: {line}")
    verdict = "CONFORMS" if report.ok else f"FAILED - {len(report.failures)} check(s) failed"
    click.echo(f"{name}: {verdict} (ports: {', '.join(report.ports) or 'none'})")
    return 0 if report.ok else 1


async def _conform(
    name: str, settings: Settings, write: bool, recipient: str | None, timeout: float
) -> Any:
    """Build one backend and run the conformance kit; a failure to build is a verdict."""
    from connectors.conformance import conform

    async def run(connector: Any) -> Any:
        return await conform(connector, write=write, recipient=recipient, timeout=timeout)

    return await _with_backend(name, settings, timeout, run)


def _require_installed(name: str) -> None:
    if name not in registry.available():
        known = ", ".join(sorted(registry.available())) or "none"
        raise UnknownBackendError(f"unknown backend {name!r} (installed: {known})")


async def _with_backend(
    name: str, settings: Settings, timeout: float, run: Callable[[Any], Awaitable[Any]]
) -> Any:
    """Build backend ``name``, ``run`` it and close it; a failure to build is a FAILED verdict."""
    config = settings.connectors.get(name, {})
    async with httpx.AsyncClient(timeout=min(timeout, 30.0)) as http:  # TLS verification on
        try:
            connector = build_backend(settings, name, config=config, http=http)
        except DriveTalkError as exc:
            return CheckResult(False, str(exc))
        try:
            return await run(connector)
        finally:
            await connector.aclose()


@command.command("check")
@click.argument("name")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=600),
    default=DEFAULT_CHECK_TIMEOUT,
    show_default=True,
    help="Seconds before the check (with --live: each step) counts as failed.",
)
@click.option(
    "--live",
    is_flag=True,
    help="Walk the backend end to end for real (DingTalk: sends you one message and "
    "creates and deletes one event); one line per step.",
)
@click.pass_context
def check_command(ctx: click.Context, name: str, timeout: float, live: bool) -> int:
    """Build backend NAME from the config file and check it live (exit 0 = OK)."""
    _require_installed(name)
    settings = settings_from(ctx)
    if live:
        return _report_live(name, asyncio.run(_live(name, settings, timeout)))
    result = asyncio.run(_check(name, settings, timeout))
    verdict = "OK" if result.ok else "FAILED"
    click.echo(f"{name}: {verdict} - {result.detail}")
    return 0 if result.ok else 1


def _report_live(name: str, steps: Sequence[Any] | CheckResult) -> int:
    """Print one line per live step; exit 0 unless a step failed (skipped is shown, not failed)."""
    if isinstance(steps, CheckResult):
        click.echo(f"{name}: FAILED - {steps.detail}")
        return 1
    for step in steps:
        click.echo(f"{name}: {step.status.upper():<8}{step.name} - {step.detail}")
    failed = sum(step.status == "failed" for step in steps)
    click.echo(f"{name}: {'FAILED' if failed else 'OK'} - live check, {failed} step(s) failed")
    return 1 if failed else 0


async def _live(name: str, settings: Settings, timeout: float) -> Sequence[Any] | CheckResult:
    """Build one backend and run its ``live_check`` walk; failures to build become a verdict."""

    async def run(connector: Any) -> Sequence[Any]:
        walk = getattr(connector, "live_check", None)
        if walk is None:
            raise UserInputError(f"backend {name!r} has no --live check")
        steps: Sequence[Any] = await walk(step_timeout=timeout)
        return steps

    result: Sequence[Any] | CheckResult = await _with_backend(name, settings, timeout, run)
    return result


async def _check(name: str, settings: Settings, timeout: float) -> CheckResult:
    """Build, check and close one backend; every failure becomes a FAILED verdict."""

    async def run(connector: Any) -> CheckResult:
        try:
            result: CheckResult = await asyncio.wait_for(connector.check(), timeout)
        except TimeoutError:
            return CheckResult(False, f"no answer within {timeout:g} s")
        except DriveTalkError as exc:  # check() should not raise; a plugin's might
            return CheckResult(False, str(exc))
        return result

    checked: CheckResult = await _with_backend(name, settings, timeout, run)
    return checked
