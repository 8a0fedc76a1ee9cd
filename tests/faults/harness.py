"""Run one fault scenario: a real DriveTalk process, a real receiver, counted deliveries.

Shared by the CI tests (scaled-down timings) and ``benchmarks/outbox_faults.py``
(full length). The process under test is :mod:`tests.servers.outbox_child`,
which builds its outbox, connector and delivery worker exactly as
``drivetalk chat`` does.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.faults.receiver import SECRET, Receiver, receiving

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).with_name("scenarios.yaml")
#: Full-length backoff: the README's defaults.
BASE_DELAY_S, MAX_DELAY_S, CLIENT_TIMEOUT_S = 1.0, 300.0, 10.0
#: A process never needs longer than this (scaled runs take seconds).
PROCESS_LIMIT_S = 1800.0


@dataclass(frozen=True, slots=True)
class Scenario:
    """One row of ``scenarios.yaml``."""

    name: str
    outage: float = 0.0
    restart: bool = False
    kill: str = ""
    signal: str = "KILL"
    answers: tuple[str, ...] = ()
    retry_after: float = 0.0


@dataclass
class Outcome:
    """What the receiver saw."""

    name: str
    lost: int
    doubled: int
    requests: int
    #: Seconds from the receiver's recovery until every message was delivered (None: no fault).
    recovery_to_delivery: float | None
    states: list[str] = field(default_factory=list)
    waits_after_429: list[tuple[str, float]] = field(default_factory=list)


def write_messages(path: Path, messages: list[dict[str, Any]]) -> Path:
    """A MESSAGES file for the child: OutgoingMessage fields per message."""
    path.write_text(json.dumps(messages), encoding="utf-8")
    return path


def scenarios() -> list[Scenario]:
    """Every scenario of the table."""
    rows = yaml.safe_load(SCENARIOS.read_text(encoding="utf-8"))
    return [Scenario(**{**row, "answers": tuple(row.get("answers", ()))}) for row in rows]


class Child:
    """One run of :mod:`tests.servers.outbox_child`."""

    def __init__(
        self,
        config: Path,
        mode: str,
        messages: Path | None,
        log: Path,
        secrets: Mapping[str, str] | None = None,
    ) -> None:
        args = [sys.executable, "-m", "tests.servers.outbox_child", str(config), mode]
        if messages is not None:
            args.append(str(messages))
        env = {k: v for k, v in os.environ.items() if not k.startswith("DRIVETALK_")}
        env |= secrets if secrets is not None else {"FAULT_RECEIVER_SECRET": SECRET}
        self.log = log
        with log.open("ab") as err:
            self.process = subprocess.Popen(
                args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err
            )

    def expect(self, word: str, timeout: float = PROCESS_LIMIT_S) -> None:
        """Wait for the next line the child prints to be ``word``."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline().decode().strip()
            if line == word:
                return
            if not line and self.process.poll() is not None:
                break
        raise AssertionError(f"child never said {word}; its log:\n{self.log.read_text()}")

    def signal(self, name: str) -> None:
        """Send SIGKILL or SIGTERM and wait for the process to end."""
        self.process.send_signal(signal.SIGKILL if name == "KILL" else signal.SIGTERM)
        self.process.wait(timeout=120)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def finish(self) -> int:
        """Wait for a normal exit; the exit code."""
        code = self.process.wait(timeout=PROCESS_LIMIT_S)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code


class Run:
    """The files and the receiver of one scenario at one scale."""

    def __init__(self, scenario: Scenario, scale: float, root: Path, receiver: Receiver) -> None:
        self.scenario = scenario
        self.scale = scale
        self.root = root
        self.receiver = receiver
        self.log = root / "child.log"
        self.config = root / "drivetalk.toml"
        self.messages = root / "messages.json"
        self.bodies = [f"{scenario.name} message {i}" for i in range(3)]
        self.children: list[Child] = []
        self._write_files()

    def seconds(self, full: float) -> float:
        """A full-length duration at this run's scale."""
        return full * self.scale

    def _write_files(self) -> None:
        timeout = max(0.5, self.seconds(CLIENT_TIMEOUT_S))
        base = max(0.01, self.seconds(BASE_DELAY_S))
        self.config.write_text(
            f'data_dir = "{self.root / "data"}"\n'
            'backend = "webhook"\n'
            "[connectors.webhook]\n"
            f'url = "{self.receiver.url}"\n'
            'secret_env = "FAULT_RECEIVER_SECRET"\n'
            f"timeout = {timeout}\n"
            "[outbox]\n"
            f"base_delay_s = {base}\n"
            f"max_delay_s = {max(base, self.seconds(MAX_DELAY_S))}\n"
            f"idle_poll_s = {max(1.0, self.seconds(60.0))}\n",
            encoding="utf-8",
        )
        messages = [
            {"idempotency_key": uuid.uuid4().hex, "recipient_id": "u-liwei",
             "recipient_name": "Li Wei", "body": body}
            for body in self.bodies
        ]  # fmt: skip
        self.messages.write_text(json.dumps(messages), encoding="utf-8")

    def child(self, mode: str, *, with_messages: bool = True) -> Child:
        """Start the process under test."""
        child = Child(self.config, mode, self.messages if with_messages else None, self.log)
        self.children.append(child)
        return child

    def kill_leftovers(self) -> None:
        """Kill any process a failed scenario left running."""
        for child in self.children:
            if child.process.poll() is None:
                child.signal("KILL")

    def states(self) -> list[str]:
        """The outbox's states after the run."""
        with sqlite3.connect(self.root / "data" / "outbox.sqlite3") as db:
            return sorted(row[0] for row in db.execute("SELECT state FROM outbox"))


def run_scenario(scenario: Scenario, scale: float, root: Path) -> Outcome:
    """Play ``scenario`` against a fresh receiver; what it delivered."""
    root.mkdir(parents=True, exist_ok=True)
    with receiving(start_up=not scenario.outage) as receiver:
        run = Run(scenario, scale, root, receiver)
        hint = max(1, round(run.seconds(scenario.retry_after)))
        receiver.script.extend(a.format(retry_after=hint) for a in scenario.answers)
        try:
            if scenario.kill:
                _killed(run, scenario)
            elif scenario.outage:
                _outage(run, scenario)
            else:
                _answers(run)
        finally:
            run.kill_leftovers()
        since = receiver.recovered_at if scenario.outage else None
        lost, doubled = receiver.tally(run.bodies)
        return Outcome(
            name=scenario.name,
            lost=lost,
            doubled=doubled,
            requests=len(receiver.log),
            recovery_to_delivery=receiver.recovery_to_delivery(since),
            states=run.states(),
            waits_after_429=receiver.waits_after_429(),
        )


def _killed(run: Run, scenario: Scenario) -> None:
    receiver = run.receiver
    mode = {"before": "enqueue", "during": "deliver", "after": "sent"}[scenario.kill]
    if scenario.kill == "during":
        receiver.script.appendleft("take_then_hang")
    first = run.child(mode)
    first.expect("READY")
    if scenario.kill == "during":
        receiver.wait_for_requests(1)
    if scenario.signal == "TERM":
        first.process.send_signal(signal.SIGTERM)
        first.expect("STOPPED", timeout=120)
        assert first.finish() == 0, run.log.read_text()
    else:
        first.signal("KILL")
    receiver.release.set()  # the held request ends without an answer
    _deliver_all(run.child("worker", with_messages=False))


def _outage(run: Run, scenario: Scenario) -> None:
    first = run.child("deliver")
    first.expect("READY")
    if scenario.restart:
        time.sleep(run.seconds(scenario.outage) / 2)
        first.signal("KILL")
        survivor = run.child("worker", with_messages=False)
        survivor.expect("READY")
        time.sleep(run.seconds(scenario.outage) / 2)
    else:
        survivor = first
        time.sleep(run.seconds(scenario.outage))
    run.receiver.up()
    survivor.expect("EMPTY")
    assert survivor.finish() == 0, run.log.read_text()


def _answers(run: Run) -> None:
    run.receiver.hold_s = max(0.5, run.seconds(CLIENT_TIMEOUT_S)) + 1.0
    _deliver_all(run.child("deliver"))


def _deliver_all(child: Child) -> None:
    child.expect("READY")
    child.expect("EMPTY")
    assert child.finish() == 0, child.log.read_text()


def summary(outcome: Outcome) -> Mapping[str, Any]:
    """One row for a report."""
    return {
        "scenario": outcome.name,
        "lost": outcome.lost,
        "doubled": outcome.doubled,
        "requests": outcome.requests,
        "recovery_to_delivery_s": (
            None if outcome.recovery_to_delivery is None else round(outcome.recovery_to_delivery, 2)
        ),
    }
