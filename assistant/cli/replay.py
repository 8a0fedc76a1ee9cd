"""``drivetalk replay PATH``: replay recorded utterances and report accuracy and latency."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress

from assistant.asr.catalogue import language_name
from assistant.asr.factory import transcriber_from_settings
from assistant.asr.language import locale_language
from assistant.asr.listener import Listener
from assistant.audio.endpoint import EndpointConfig
from assistant.cli.options import settings_from
from assistant.cli.replay_output import ReportFiles, progress_lines, report
from assistant.config import Settings
from assistant.errors import (
    ModelLanguageError,
    ModelNotFoundError,
    TTSUnavailableError,
    UserInputError,
)
from assistant.models import Contact
from assistant.replay.backend import configured_backend, fresh_local_backend
from assistant.replay.baseline import Tolerance, compare, load_baseline
from assistant.replay.gate import combine, from_options, gate_thresholds
from assistant.replay.manifest import Manifest, load_manifest
from assistant.replay.metrics import Threshold, parse_threshold
from assistant.replay.results import CaseResult
from assistant.replay.runner import BackendFactory, replay
from assistant.replay.samples import find_samples
from assistant.replay.speaker import TimingSpeaker
from assistant.tts.synth import Synthesizer
from assistant.tts.voices import locale_voice

_MS = click.FloatRange(min=0, min_open=True)


@click.command("replay")
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option(
    "--transcripts",
    is_flag=True,
    help="Replay the expected transcripts instead of the audio (no speech model needed).",
)
@click.option(
    "--model",
    type=click.Path(path_type=Path),
    help="vosk model directory (default: DRIVETALK_MODEL, the config file, installed models).",
)
@click.option("--jsonl", "jsonl_file", type=click.Path(path_type=Path), help="Write JSONL results.")
@click.option("--junit", "junit_file", type=click.Path(path_type=Path), help="Write JUnit XML.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(path_type=Path),
    help="Write a self-contained HTML report with charts (one file, nothing fetched).",
)
@click.option(
    "--fail-under",
    "fail_under",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Exit 1 when METRIC is below VALUE (0.9 or 90%); repeatable. Metrics: word_accuracy, "
    "intent_accuracy, slot_accuracy, command_acceptance, task_success, case_pass_rate.",
)
@click.option(
    "--min-accuracy",
    type=click.FloatRange(0, 1),
    metavar="FRACTION",
    help="Exit 1 when the intent accuracy is below this (0.95).",
)
@click.option(
    "--max-wer",
    type=click.FloatRange(min=0),
    metavar="FRACTION",
    help="Exit 1 when the word error rate is above this (0.25; audio mode).",
)
@click.option(
    "--max-latency-p50-ms",
    type=_MS,
    metavar="MS",
    help="Exit 1 when the p50 reply latency is above MS.",
)
@click.option(
    "--max-latency-p95-ms",
    type=_MS,
    metavar="MS",
    help="Exit 1 when the p95 reply latency is above MS.",
)
@click.option(
    "--max-latency-p99-ms",
    type=_MS,
    metavar="MS",
    help="Exit 1 when the p99 reply latency is above MS.",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(path_type=Path),
    metavar="RESULTS",
    help="A previous run's --jsonl results: list every case that regressed (exit 1 if any).",
)
@click.option(
    "--latency-tolerance-ms",
    type=click.FloatRange(min=0),
    default=100.0,
    show_default=True,
    metavar="MS",
    help="With --baseline: how much slower a case may get before it counts as regressed.",
)
@click.option(
    "--wer-tolerance",
    type=click.FloatRange(min=0),
    default=0.05,
    show_default=True,
    metavar="FRACTION",
    help="With --baseline: how much a case's WER may rise before it counts as regressed.",
)
@click.option("--case", "case_ids", multiple=True, metavar="ID", help="Only these cases.")
@click.option(
    "--backend",
    metavar="NAME",
    help="Replay against this configured connector (default: a fresh demo store per case).",
)
@click.option("--no-tts", is_flag=True, help="Do not synthesise replies (no audio latency).")
@click.pass_context
def command(
    ctx: click.Context,
    *,
    path: Path | None,
    transcripts: bool,
    model: Path | None,
    jsonl_file: Path | None,
    junit_file: Path | None,
    html_file: Path | None,
    fail_under: tuple[str, ...],
    case_ids: tuple[str, ...],
    backend: str | None,
    no_tts: bool,
    baseline_file: Path | None,
    latency_tolerance_ms: float,
    wer_tolerance: float,
    **limits: float | None,
) -> int:
    """Replay the cases of a manifest (PATH: the file, or a directory holding it).

    Each case is parsed and answered in its locale (the manifest's ``locale``,
    en by default, or the case's own). Without PATH, the shipped sample set of a
    source checkout (audio_samples/). The run is held to a gate (the limits
    given here, in the manifest's ``gate:`` or the config's ``[replay.gate]``)
    and, with --baseline, to a previous run: exit 1 names what failed.
    """
    given = [parse_threshold(text) for text in fail_under] + from_options(limits)
    _check_thresholds(given, transcripts)
    files = ReportFiles(jsonl_file, junit_file, html_file)
    files.check_writable()  # before a long run, not after it
    manifest = _manifest(path, case_ids, audio=not transcripts)
    settings = _in_locale_of(settings_from(ctx), manifest)
    thresholds = _gate(given, manifest, settings, transcripts)
    before = None if baseline_file is None else load_baseline(baseline_file)
    locales = manifest.locales()
    listeners, mode = (
        (None, "transcript mode") if transcripts else _listeners(settings, model, manifest)
    )
    factory = _backend(settings, backend, manifest)
    speaker = TimingSpeaker(None if no_tts else _synthesizers(settings, locales))
    results = _run(manifest, listeners, speaker, factory)
    comparison = None
    if before is not None and baseline_file is not None:
        tolerance = Tolerance(latency_ms=latency_tolerance_ms, wer=wer_tolerance)
        comparison = compare(baseline_file, before, results, tolerance)
    return report(
        manifest,
        results,
        thresholds,
        mode=mode,
        audio=listeners is not None,
        comparison=comparison,
        files=files,
    )


def _in_locale_of(settings: Settings, manifest: Manifest) -> Settings:
    """The settings speaking the manifest's language (speech model, voice) when it has one."""
    locales = manifest.locales()
    if len(locales) != 1 or locales[0] == settings.locale:
        return settings
    return settings.model_copy(update={"locale": locales[0]})


def _manifest(path: Path | None, case_ids: Sequence[str], *, audio: bool) -> Manifest:
    """The manifest's cases to replay; every problem at once (in audio mode, missing recordings).

    With ``--case`` only the chosen cases need their recordings.
    """
    manifest = _select(
        load_manifest(path or find_samples(), audio=audio and not case_ids), case_ids
    )
    if audio and case_ids:
        manifest.require_audio()
    return manifest


def _select(manifest: Manifest, case_ids: Sequence[str]) -> Manifest:
    if not case_ids:
        return manifest
    known = {c.id for c in manifest.cases}
    unknown = [c for c in case_ids if c not in known]
    if unknown:
        raise UserInputError(f"no case {unknown[0]!r} in {manifest.path}")
    cases = tuple(c for c in manifest.cases if c.id in set(case_ids))
    return dataclasses.replace(manifest, cases=cases)


_NOT_HEARD = ("word_accuracy", "wer")


def _check_thresholds(thresholds: Sequence[Threshold], transcripts: bool) -> None:
    if transcripts and any(t.metric in _NOT_HEARD for t in thresholds):
        raise UserInputError(
            "word accuracy (WER) is not measured with --transcripts (no audio is heard)"
        )


def _gate(
    given: Sequence[Threshold], manifest: Manifest, settings: Settings, transcripts: bool
) -> list[Threshold]:
    """The options' limits, then the manifest's, then the config's; one per metric.

    A WER limit from the manifest or config cannot hold a transcript replay:
    it is left out with a note rather than failing every such run.
    """
    layered = combine(given, gate_thresholds(manifest.gate), gate_thresholds(settings.replay.gate))
    if not transcripts:
        return layered
    kept = [t for t in layered if t.metric not in _NOT_HEARD]
    for dropped in (t for t in layered if t.metric in _NOT_HEARD):
        click.echo(
            f"drivetalk: note: gate {dropped.label} not applied (no audio is heard with "
            "--transcripts)",
            err=True,
        )
    return kept


def _listeners(
    settings: Settings, model: Path | None, manifest: Manifest
) -> tuple[dict[str, Listener], str]:
    """A model and endpointer per locale of the cases; a model must hear its locale's language.

    ModelNotFoundError says how to get a model; ModelLanguageError refuses
    one of another language, naming the manifest's language and what to install.
    """
    config = EndpointConfig.from_settings(settings.asr)
    listeners: dict[str, Listener] = {}
    models = []
    for locale in manifest.locales():
        try:
            transcriber, choice = transcriber_from_settings(
                settings, locale=locale, model=model, names=directory_names(manifest.contacts)
            )
        except (ModelLanguageError, ModelNotFoundError) as exc:
            language = locale_language(locale)
            raise type(exc)(
                f"cannot replay the {language_name(language)} ({locale}) cases of "
                f"{manifest.path}: {exc}"
            ) from exc
        listeners[locale] = Listener(transcriber, config)
        models.append(f"{choice.path} ({choice.source})")
    return listeners, f"audio mode, model {', '.join(dict.fromkeys(models))}"


def directory_names(contacts: Sequence[Contact] | None = None) -> tuple[str, ...]:
    """Names in the replay's directory (``contacts``, else the demo organisation).

    For a speech engine that learns them (pocketsphinx's generated model).
    """
    if contacts is not None:
        names = [c.name for c in contacts] + [a for c in contacts for a in c.aliases if a.isascii()]
        names += [c.department for c in contacts if c.department]
        return tuple(dict.fromkeys(names))
    from connectors.local.demo import load_demo_organisation

    org = load_demo_organisation()
    people = [org["me"], *org.get("people", ())]
    names = [p["name"] for p in (*people, *org.get("groups", ()))]
    names += [a for p in people for a in p.get("aliases", ()) if a.isascii()]
    names += [p["department"] for p in people if p.get("department")]
    return tuple(dict.fromkeys(names))


def _synthesizers(settings: Settings, locales: Sequence[str]) -> dict[str, Synthesizer] | None:
    """Each locale's configured voices, or None (with a note) when speech is unavailable."""
    if not settings.tts.enabled:
        return None
    synths: dict[str, Synthesizer] = {}
    for locale in locales:
        synth = synths[locale] = Synthesizer(locale_voice(settings.tts, locale))
        try:
            synth.start()
        except TTSUnavailableError as exc:
            for started in synths.values():
                started.close()
            click.echo(f"drivetalk: note: no reply audio latency ({exc})", err=True)
            return None
    return synths


def _backend(settings: Settings, name: str | None, manifest: Manifest) -> BackendFactory:
    """The per-case backend; a configured one is opened once first, to fail fast.

    A manifest naming its own contacts gets a fresh store of just those
    people per case; a configured backend has its own directory, so the two
    do not mix.
    """
    if name is None:
        if manifest.contacts is None:
            return fresh_local_backend
        return functools.partial(fresh_local_backend, contacts=manifest.contacts)
    if manifest.contacts_file is not None:
        raise UserInputError(
            f"{manifest.path} names its own contacts ({manifest.contacts_file}); "
            f"--backend {name} resolves names in that backend's directory instead: "
            "drop one of the two"
        )
    factory = functools.partial(configured_backend, name, settings)

    async def probe() -> None:
        async with factory(manifest.now):
            pass

    asyncio.run(probe())
    return factory


def _run(
    manifest: Manifest,
    listener: Mapping[str, Listener] | None,
    speaker: TimingSpeaker,
    factory: BackendFactory,
) -> list[CaseResult]:
    progress = Progress(console=Console(stderr=True), transient=True)
    if not progress.console.is_terminal:
        # A CI log gets one line per case, so a long run shows it is alive.
        on_case = progress_lines(len(manifest.cases))
        return asyncio.run(
            replay(manifest, listener=listener, speaker=speaker, backend=factory, on_case=on_case)
        )
    with progress:
        task = progress.add_task("replaying", total=len(manifest.cases))
        return asyncio.run(
            replay(
                manifest,
                listener=listener,
                speaker=speaker,
                backend=factory,
                on_case=lambda _r: progress.advance(task),
            )
        )
