"""``drivetalk serve``: the fleet server (FastAPI on uvicorn)."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from pydantic import ValidationError

from assistant.cli.options import data_dir_option, settings_from
from assistant.config import ServerSettings, TLSSettings


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
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    help="Log lines for a terminal or JSON for a log pipeline (default: server.logging.format).",
)
@click.option(
    "--ssl-certfile",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Serve HTTPS with this PEM certificate chain (with --ssl-keyfile; or server.tls).",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The certificate's PEM private key (unencrypted).",
)
@click.pass_context
def command(  # noqa: PLR0917 - one parameter per click option
    ctx: click.Context,
    host: str | None,
    port: int | None,
    data_dir: Path | None,
    model: Path | None,
    no_tts: bool,
    log_format: str | None,
    ssl_certfile: Path | None,
    ssl_keyfile: Path | None,
) -> None:
    """Serve REST, WebSocket streaming and the browser page for a fleet of cars.

    Every route but /healthz needs an API key from `drivetalk keys create`.
    """
    import uvicorn

    from assistant.audio.vad import resolve_vad
    from assistant.directory_source import check_directory
    from assistant.server import logs
    from assistant.server.app import create_app
    from assistant.server.tls import tls_files

    settings = settings_from(ctx, data_dir=data_dir, model=model)
    # Every stream endpoints with the configured VAD: a missing runtime is
    # one error now, not a failed stream per car later.
    resolve_vad(settings.asr.vad)
    server = _server_settings(settings.server, host, port, log_format, ssl_certfile, ssl_keyfile)
    tls = tls_files(server.tls)
    updates: dict[str, object] = {"server": server}
    if no_tts:
        updates["tts"] = settings.tts.model_copy(update={"enabled": False})
    settings = settings.model_copy(update=updates)
    verbose = bool(ctx.find_root().obj.get("verbose"))
    logging_settings = server.logging.model_copy(update={"level": "debug"}) if verbose else None
    logs.configure(logging_settings or server.logging)
    # A bad [directory] is one error now; a backend without any directory is one line.
    no_directory = check_directory(settings)
    if no_directory is not None:
        logging.getLogger("assistant.server").warning("%s", no_directory)
    app = create_app(settings)
    scheme = "https" if tls else "http"
    click.echo(f"drivetalk: serving on {scheme}://{server.host}:{server.port}/", err=True)
    uvicorn.run(
        app,
        host=server.host,
        port=server.port,
        log_config=None,  # uvicorn's records go to the handler logs.configure installed
        access_log=False,  # the app writes its own access lines, with request ids
        timeout_graceful_shutdown=int(server.drain_seconds) + 5,
        ws_max_size=settings.server.limits.request_bytes,
        ssl_certfile=tls.certfile if tls else None,
        ssl_keyfile=tls.keyfile if tls else None,
    )


def _server_settings(  # noqa: PLR0917 - the options that override [server]
    server: ServerSettings,
    host: str | None,
    port: int | None,
    log_format: str | None,
    certfile: Path | None,
    keyfile: Path | None,
) -> ServerSettings:
    """``[server]`` with the command-line options applied (validated again)."""
    updates: dict[str, object] = {
        k: v for k, v in (("host", host), ("port", port)) if v is not None
    }
    if log_format is not None:
        updates["logging"] = server.logging.model_copy(update={"format": log_format})
    if certfile is not None or keyfile is not None:
        try:
            updates["tls"] = TLSSettings(certfile=certfile, keyfile=keyfile)
        except ValidationError as exc:
            raise click.UsageError("--ssl-certfile and --ssl-keyfile go together") from exc
    return server.model_copy(update=updates)
