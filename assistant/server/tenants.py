"""Per-tenant runtime: each tenant's own backend, outbox and data directory.

Everything a tenant owns lives under ``<data_dir>/tenants/<tenant>/``: the
embedded store (for the ``local`` backend), the outbox, and an optional
``tenant.toml`` choosing the tenant's backend and language::

    backend = "matrix"
    locale = "zh"          # en or zh; default: the server's locale
    [connectors.matrix]
    homeserver = "https://matrix.example.com"
    token_env = "ACME_MATRIX_TOKEN"
    [directory]            # default: the server-wide [directory]
    path = "people.csv"    # relative to the tenant's directory

Without that file the server-wide ``backend``, ``[connectors.*]`` and ``locale`` apply,
but a ``local`` store is always the tenant's own: no tenant can read or write
another's directory, messages or outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.backend import build_backend
from assistant.compose import directory_for
from assistant.config import DirectorySettings, Settings, read_config_file
from assistant.delivery import open_outbox, open_shared_outbox, tenants_with_pending, worker_for
from assistant.directory_source import Directory, directory_table, missing_directory
from assistant.errors import ConfigError, ConnectorError, DriveTalkError, RequestRejectedError
from assistant.locales import Locale, check_locale
from assistant.models import Contact
from assistant.server import logs
from assistant.server.keys import check_name
from assistant.storage.database import Database
from connectors.outbox import OUTBOX_FILE, DeliveryWorker, Outbox
from connectors.ports import Connector

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BackendChoice:
    """Which connector a tenant uses, with its config table."""

    name: str
    config: Mapping[str, Any]


def backend_for(settings: Settings, tenant_dir: Path) -> BackendChoice:
    """The tenant's ``tenant.toml`` choice, else the server-wide one (local is per tenant)."""
    override = tenant_dir / "tenant.toml"
    if override.is_file():
        data = read_config_file(override)
        unknown = set(data) - {"backend", "connectors", "locale", "directory"}
        if unknown:
            raise ConfigError(f"unknown key(s) in {override}: {', '.join(sorted(unknown))}")
        name = str(data.get("backend", settings.backend))
        tables = data.get("connectors", {})
    else:
        name, tables = settings.backend, settings.connectors
    config = dict(tables.get(name, {})) if isinstance(tables, dict) else {}
    if name == "local":
        config.pop("data_dir", None)  # the tenant directory, never a shared one
    return BackendChoice(name, config)


def directory_choice(settings: Settings, tenant_dir: Path) -> DirectorySettings:
    """The tenant's ``[directory]`` from ``tenant.toml``, else the server-wide one."""
    override = tenant_dir / "tenant.toml"
    if override.is_file():
        table = read_config_file(override).get("directory")
        if table is not None:
            return directory_table(table, str(override))
    return settings.directory


def locale_for(settings: Settings, tenant_dir: Path) -> Locale:
    """The tenant's ``locale`` from ``tenant.toml``, else the server-wide one."""
    override = tenant_dir / "tenant.toml"
    if not override.is_file():
        return settings.locale
    value = read_config_file(override).get("locale", settings.locale)
    try:
        return check_locale(value)
    except ConfigError as exc:
        raise ConfigError(f"{override}: {exc}") from exc


def inbound_secret_env(choice: BackendChoice) -> str | None:
    """The environment variable holding a webhook tenant's inbound secret (None otherwise)."""
    if choice.name != "webhook":
        return None
    name = choice.config.get("inbound_secret_env") or choice.config.get("secret_env")
    return str(name) if name else None


def secret_fingerprint(choice: BackendChoice, env: Mapping[str, str]) -> bytes | None:
    """SHA-256 of the tenant's inbound secret, to compare tenants without keeping secrets."""
    name = inbound_secret_env(choice)
    value = env.get(name, "").strip() if name else ""
    return hashlib.sha256(value.encode()).digest() if value else None


class Tenant:
    """One tenant's connector, outbox and contact list, opened lazily, closed once."""

    def __init__(
        self,
        name: str,
        root: Path,
        connector: Connector,
        outbox: Outbox,
        worker: DeliveryWorker | None = None,
        *,
        locale: Locale = "en",
        directory: Directory | None = None,
    ) -> None:
        self.name = name
        self.root = root
        self.connector = connector
        self.outbox = outbox
        #: Delivers the tenant's outbox for as long as the tenant is open.
        self.worker = worker
        self._delivering: asyncio.Task[None] | None = None
        #: The language of the tenant's sessions unless a session asks for another.
        self.locale: Locale = locale
        self._contacts: list[Contact] | None = None
        #: Where the tenant's names are looked up (``[directory]``, else the backend's own).
        self.directory = directory or Directory(None)

    def start_delivery(self) -> None:
        """Start the tenant's delivery worker (idempotent; needs a running loop)."""
        if self.worker is not None and self._delivering is None:
            # Its own log context: not the request that happened to open the tenant.
            context = logs.background(tenant=self.name)
            self._delivering = asyncio.create_task(self.worker.run(), context=context)

    def __repr__(self) -> str:
        return f"Tenant({self.name!r}, backend={type(self.connector).__name__})"

    async def contacts(self) -> list[Contact]:
        """The tenant's directory (people and groups), loaded once."""
        if self._contacts is None:
            self._contacts = await self.directory.contacts()
        return self._contacts

    async def aclose(self) -> None:
        """Stop delivering, close the connector, then the outbox (messages stay on disk)."""
        if self._delivering is not None:
            self._delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivering
        try:
            await self.directory.aclose()
            await self.connector.aclose()
        finally:
            self.outbox.close()


class Tenants:
    """All tenants of this process, each opened on first use."""

    def __init__(
        self,
        settings: Settings,
        now: Callable[[], datetime],
        shared: Database | None = None,
        *,
        on_delivery_failure: Callable[[str, ConnectorError, bool], None] | None = None,
    ) -> None:
        self._settings = settings
        self._now = now
        #: The fleet database: outboxes live there instead of in per-tenant SQLite files.
        self._shared = shared
        #: Told (backend name, error, final) of every failed delivery (metrics).
        self._on_delivery_failure = on_delivery_failure
        self._open: dict[str, Tenant] = {}
        self._webhook_secrets: dict[bytes, str] = {}
        self._lock = asyncio.Lock()

    def root(self, tenant: str) -> Path:
        """``<data_dir>/tenants/<tenant>``."""
        return self._settings.data_dir / "tenants" / check_name(tenant, "tenant")

    async def get(self, tenant: str) -> Tenant:
        """The tenant's runtime, opening it (connector, outbox) the first time."""
        async with self._lock:
            found = self._open.get(tenant)
            if found is None:
                try:
                    found = await asyncio.to_thread(self._open_tenant, tenant)
                except DriveTalkError as exc:
                    # The operator's problem, not the caller's: 503, logged.
                    log.error("tenant %s cannot be opened: %s", tenant, exc)
                    raise RequestRejectedError(
                        503, "backend_unavailable", "this tenant's backend cannot be opened"
                    ) from exc
                self._open[tenant] = found
                found.start_delivery()
            return found

    async def open_pending(self) -> list[str]:
        """Open every tenant whose outbox holds undelivered messages (at server start).

        Their workers start delivering at once, whether or not a car ever
        opens a session; a tenant that cannot be opened is logged and skipped.
        """
        opened = []
        for name in await asyncio.to_thread(self._with_pending):
            try:
                await self.get(name)
            except RequestRejectedError:
                continue  # logged by get()
            opened.append(name)
        return opened

    def _with_pending(self) -> list[str]:
        if self._shared is not None:
            return tenants_with_pending(self._shared)
        names = []
        for path in sorted((self._settings.data_dir / "tenants").glob(f"*/{OUTBOX_FILE}")):
            if _has_pending(path):
                names.append(path.parent.name)
        return names

    def _open_tenant(self, tenant: str) -> Tenant:
        root = self.root(tenant)
        root.mkdir(parents=True, exist_ok=True)
        choice = backend_for(self._settings, root)
        locale = locale_for(self._settings, root)
        self._claim_webhook_secret(tenant, choice)
        connector = build_backend(
            self._settings, choice.name, config=choice.config, data_dir=root, now=self._now
        )
        try:
            directory = self._directory(root, connector)
        except BaseException:
            _close_now(connector)
            raise
        if self._shared is not None:
            outbox = open_shared_outbox(self._shared, tenant, self._settings.outbox)
        else:
            outbox = open_outbox(root / OUTBOX_FILE, self._settings.outbox)
        observer = self._on_delivery_failure
        if observer is not None:
            outbox.on_failure(lambda error, final: observer(choice.name, error, final))
        worker = worker_for(outbox, connector, self._settings.outbox)
        return Tenant(tenant, root, connector, outbox, worker, locale=locale, directory=directory)

    def _directory(self, root: Path, connector: Connector) -> Directory:
        """The tenant's directory; a tenant left without one is logged once, when opened."""
        override = root / "tenant.toml"
        tables = read_config_file(override).get("connectors", {}) if override.is_file() else None
        choice = directory_choice(self._settings, root)
        # A tenant's own file is found in the tenant's directory; the server-wide
        # one where the server's other paths are.
        own = choice is not self._settings.directory
        directory = directory_for(
            self._settings,
            connector,
            choice=choice,
            tables=tables if isinstance(tables, dict) else None,
            base_dir=root if own else None,
            data_dir=root,
            now=self._now,
        )
        if not directory.configured:
            log.warning("tenant %s: %s", root.name, missing_directory(connector.name))
        return directory

    def _claim_webhook_secret(self, tenant: str, choice: BackendChoice) -> None:
        """Refuse a webhook secret another open tenant already verifies pushes with."""
        digest = secret_fingerprint(choice, os.environ)
        if digest is None:
            return
        if choice.name == "webhook" and self._settings.backend == "webhook":
            raise ConfigError("the webhook backend must be chosen per tenant, in tenant.toml")
        owner = self._webhook_secrets.setdefault(digest, tenant)
        if owner != tenant:
            raise ConfigError(f"tenant {tenant!r} shares its webhook secret with {owner!r}")

    async def aclose(self) -> None:
        """Close every open tenant; one failing does not keep the others open."""
        async with self._lock:
            tenants, self._open = list(self._open.values()), {}
        for tenant in tenants:
            try:
                await tenant.aclose()
            except DriveTalkError as exc:
                log.warning("closing tenant %s failed: %s", tenant.name, exc)

    def opened(self) -> list[Tenant]:
        """Tenants opened so far."""
        return list(self._open.values())


def _has_pending(path: Path) -> bool:
    """Whether the outbox file at ``path`` holds undelivered messages (read-only look)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT 1 FROM outbox WHERE state = 'pending' LIMIT 1").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.warning("cannot read the outbox %s: %s", path, exc)
        return False
    return row is not None


def _close_now(connector: Connector) -> None:
    """Close a connector from the worker thread a tenant is opened in."""
    try:
        asyncio.run(connector.aclose())
    except DriveTalkError as exc:
        log.warning("closing a connector failed: %s", exc)
