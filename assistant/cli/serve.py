"""``drivetalk serve``: the fleet server (FastAPI on uvicorn)."""

from __future__ import annotations

from pathlib import Path

import click

from assistant.cli.options import data_dir_option, settings_from


@click.command("serve")
@click.option("--host", help="Address to listen on (default: server.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: server.port, 8080).")
@data_dir_option
@click.option(
    "--model",
    type=click.Path(file_okay=False, path_type=Path),
    help="vosk model directory (default: DRIVETALK_MODEL, the config, or an installed model).",
)
@click.option("--no-tts", is_flag=True, help="Reply with text only (no synthesised audio).")
@click.pass_context
def command(  # noqa: PLR0917 - one parameter per click option
    ctx: click.Context,
    host: str | None,
    port: int | None,
    data_dir: Path | None,
    model: Path | None,
    no_tts: bool,
) -> None:
    """Serve REST, WebSocket streaming and the browser page for a fleet of cars.

    Every route but /healthz needs an API key from `drivetalk keys create`.
    """
    import uvicorn

    from assistant.audio.vad import resolve_vad
    from assistant.server.app import create_app

    settings = settings_from(ctx, data_dir=data_dir, model=model)
    # Every stream endpoints with the configured VAD: a missing runtime is
    # one error now, not a failed stream per car later.
    resolve_vad(settings.asr.vad)
    server = settings.server.model_copy(
        update={k: v for k, v in (("host", host), ("port", port)) if v is not None}
    )
    updates: dict[str, object] = {"server": server}
    if no_tts:
        updates["tts"] = settings.tts.model_copy(update={"enabled": False})
    settings = settings.model_copy(update=updates)
    app = create_app(settings)
    click.echo(f"drivetalk: serving on http://{server.host}:{server.port}/", err=True)
    uvicorn.run(
        app,
        host=server.host,
        port=server.port,
        log_level="debug" if ctx.find_root().obj.get("verbose") else "warning",
        timeout_graceful_shutdown=int(server.drain_seconds) + 5,
        ws_max_size=settings.server.limits.request_bytes,
    )
