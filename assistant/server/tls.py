"""HTTPS for ``drivetalk serve`` (``[server.tls]`` or ``--ssl-certfile/--ssl-keyfile``).

A browser grants the microphone only to a secure context: ``localhost`` or
HTTPS. The certificate and key are loaded once here, before serving, so a
missing file, a wrong passphrase-less key or a key of another certificate is
one clear error at start, not a failed handshake per car later.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from assistant.config import TLSSettings
from assistant.errors import ConfigError


@dataclass(frozen=True, slots=True)
class TLSFiles:
    """A certificate chain and its private key, both checked to load together."""

    certfile: Path
    keyfile: Path


def tls_files(settings: TLSSettings) -> TLSFiles | None:
    """The checked files, or None when TLS is off; ConfigError if they cannot be used."""
    if settings.certfile is None or settings.keyfile is None:
        return None
    for what, path in (("certificate", settings.certfile), ("key", settings.keyfile)):
        if not path.is_file():
            raise ConfigError(f"server.tls: the {what} file {path} does not exist")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(settings.certfile, settings.keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(
            f"server.tls: cannot use certificate {settings.certfile} with key "
            f"{settings.keyfile}: {exc.strerror or exc}"
        ) from exc
    return TLSFiles(settings.certfile, settings.keyfile)
