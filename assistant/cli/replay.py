"""``drivetalk replay PATH``: replay recorded utterances and report accuracy and latency."""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress

from assistant.asr.factory import transcriber_from_settings
from assistant.asr.listener import Listener
from assistant.audio.endpoint import EndpointConfig
from assistant.cli.options import settings_from
from assistant.config import Settings
from assistant.errors import TTSUnavailableError, UserInputError
from assistant.replay.backend import configured_backend, fresh_local_backend
from assistant.replay.manifest import Manifest, load_manifest
from assistant.replay.metrics import Threshold, parse_threshold, summarise
from assistant.replay.report import jsonl_report, junit_report, print_report, write_text
from assistant.replay.results import CaseResult
from assistant.replay.runner import BackendFactory, replay
from assistant.replay.samples import find_samples
from assistant.replay.speaker import TimingSpeaker
from assistant.tts.synth import Synthesizer
from assistant.tts.voices import locale_voice


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
    "--fail-under",
    "fail_under",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Exit 1 when METRIC is below VALUE (0.9 or 90%); repeatable. Metrics: word_accuracy, "
    "intent_accuracy, slot_accuracy, command_acceptance, task_success, case_pass_rate.",
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
    fail_under: tuple[str, ...],
    case_ids: tuple[str, ...],
    backend: str | None,
    no_tts: bool,
) -> int:
    """Replay the cases of a manifest (PATH: the file, or a directory holding it).

    Each case is parsed and answered in its locale (the manifest's ``locale``,
    en by default, or the case's own). Without PATH, the shipped sample set of a
    source checkout (audio_samples/).
    """
    thresholds = [parse_threshold(text) for text in fail_under]
    manifest = _select(load_manifest(path or find_samples()), case_ids)
    settings = _in_locale_of(settings_from(ctx), manifest)
    _check_thresholds(thresholds, transcripts)
    if not transcripts:
        manifest.require_audio()
    locales = manifest.locales()
    listeners, mode = (
        (None, "transcript mode") if transcripts else _listeners(settings, model, locales)
    )
    factory = _backend(settings, backend, manifest)
    speaker = TimingSpeaker(None if no_tts else _synthesizers(settings, locales))
    results = _run(manifest, listeners, speaker, factory)
    return _report(
        manifest,
        results,
        thresholds,
        mode=mode,
        audio=listeners is not None,
        jsonl_file=jsonl_file,
        junit_file=junit_file,
    )


def _in_locale_of(settings: Settings, manifest: Manifest) -> Settings:
    """The settings speaking the manifest's language (speech model, voice) when it has one."""
    locales = manifest.locales()
    if len(locales) != 1 or locales[0] == settings.locale:
        return settings
    return settings.model_copy(update={"locale": locales[0]})


def _select(manifest: Manifest, case_ids: Sequence[str]) -> Manifest:
    if not case_ids:
        return manifest
    known = {c.id for c in manifest.cases}
    unknown = [c for c in case_ids if c not in known]
    if unknown:
        raise UserInputError(f"no case {unknown[0]!r} in {manifest.path}")
    cases = tuple(c for c in manifest.cases if c.id in set(case_ids))
    return Manifest(path=manifest.path, now=manifest.now, cases=cases, locale=manifest.locale)


def _check_thresholds(thresholds: Sequence[Threshold], transcripts: bool) -> None:
    if transcripts and any(t.metric == "word_accuracy" for t in thresholds):
        raise UserInputError("word_accuracy is not measured with --transcripts (no audio is heard)")


def _listeners(
    settings: Settings, model: Path | None, locales: Sequence[str]
) -> tuple[dict[str, Listener], str]:
    """A model and endpointer per locale of the cases; a model must hear its locale's language.

    ModelNotFoundError says how to get a model; ModelLanguageError refuses
    one of another language, naming what to install.
    """
    config = EndpointConfig.from_settings(settings.asr)
    listeners, models = {}, []
    for locale in locales:
        transcriber, choice = transcriber_from_settings(
            settings, locale=locale, model=model, names=directory_names()
        )
        listeners[locale] = Listener(transcriber, config)
        models.append(f"{choice.path} ({choice.source})")
    return listeners, f"audio mode, model {', '.join(dict.fromkeys(models))}"


def directory_names() -> tuple[str, ...]:
    """Names in the replay's directory (the demo organisation), for a generated LM."""
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
    """The per-case backend; a configured one is opened once first, to fail fast."""
    if name is None:
        return fresh_local_backend
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
        return asyncio.run(replay(manifest, listener=listener, speaker=speaker, backend=factory))
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


def _report(
    manifest: Manifest,
    results: list[CaseResult],
    thresholds: Sequence[Threshold],
    *,
    mode: str,
    audio: bool,
    jsonl_file: Path | None,
    junit_file: Path | None,
) -> int:
    figures = summarise(results)
    verdicts = {f"{t.metric}>={t.minimum:g}": t.check(figures) for t in thresholds}
    console = Console() if sys.stdout.isatty() else Console(width=160)
    count = f"{len(results)} case{'' if len(results) == 1 else 's'}"
    locales = ", ".join(manifest.locales())
    header = f"replay of {count} from {manifest.path} ({mode}; locale {locales})"
    print_report(console, results, figures, audio=audio, header=header, verdicts=verdicts)
    if jsonl_file is not None:
        write_text(jsonl_file, jsonl_report(results, figures, verdicts))
    if junit_file is not None:
        write_text(junit_file, junit_report(results, figures, thresholds))
    return 1 if any(why is not None for why in verdicts.values()) else 0
