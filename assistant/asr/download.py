"""Downloading and installing a model archive: resume, verify, install atomically.

The archive is streamed to ``<models>/<name>.zip.part``; an interrupted
download keeps the part file and the next attempt resumes it with an HTTP
Range request. The finished archive is checked against its published
SHA-256 where the catalogue knows it, tested (CRCs, no paths escaping the
target), extracted next to the destination, checked for the files a vosk
model needs, and only then renamed into place, so ``<models>/<name>`` is
either absent or complete.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import httpx

from assistant.asr.modeldir import missing_files
from assistant.errors import ModelDownloadError

#: progress(bytes_done, bytes_total or None)
Progress = Callable[[int, int | None], None]


def pull_model(
    name: str,
    url: str,
    models_dir: Path,
    *,
    client: httpx.Client | None = None,
    progress: Progress | None = None,
    force: bool = False,
    sha256: str | None = None,
) -> Path:
    """Install the model archive at ``url`` as ``models_dir/name``; returns that path.

    ``sha256``: the archive's published checksum; a download that does not
    match it is deleted and refused (ModelDownloadError).
    """
    dest = models_dir / name
    if dest.is_dir() and not missing_files(dest) and not force:
        return dest
    models_dir.mkdir(parents=True, exist_ok=True)
    part = models_dir / f"{name}.zip.part"
    owned = client is None
    client = client or httpx.Client(timeout=httpx.Timeout(30.0), follow_redirects=True)
    try:
        _download(client, url, part, progress)
    finally:
        if owned:
            client.close()
    if sha256 is not None:
        verify_checksum(part, sha256)
    install_archive(part, dest)
    part.unlink()
    return dest


def _download(client: httpx.Client, url: str, part: Path, progress: Progress | None) -> None:
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 416 and offset:
                return  # the part file already holds the whole archive
            offset = _resume_offset(response, offset, url)
            total = _total_size(response, offset)
            with part.open("ab" if offset else "wb") as fh:
                done = offset
                for chunk in response.iter_bytes():
                    fh.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
    except httpx.HTTPError as exc:
        raise ModelDownloadError(
            f"download of {url} interrupted ({type(exc).__name__}); "
            "run the same command again to resume"
        ) from exc
    if total is not None and done < total:
        raise ModelDownloadError(f"download of {url} ended early; run the same command again")


def _resume_offset(response: httpx.Response, offset: int, url: str) -> int:
    if response.status_code == 206:
        content_range = response.headers.get("content-range", "")
        if content_range.startswith(f"bytes {offset}-"):
            return offset
        raise ModelDownloadError(f"server sent the wrong range for {url}: {content_range!r}")
    if response.status_code == 200:
        return 0  # no resume support: start again from the beginning
    raise ModelDownloadError(f"download of {url} failed: HTTP {response.status_code}")


def _total_size(response: httpx.Response, offset: int) -> int | None:
    length = response.headers.get("content-length")
    return offset + int(length) if length and length.isdigit() else None


def verify_checksum(archive: Path, sha256: str) -> None:
    """Delete ``archive`` and raise ModelDownloadError unless its SHA-256 is ``sha256``."""
    digest = hashlib.sha256()
    with archive.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    got = digest.hexdigest()
    if got != sha256.lower():
        archive.unlink(missing_ok=True)
        raise ModelDownloadError(
            f"archive {archive.name} is not the published one (SHA-256 {got[:12]}..., "
            f"expected {sha256[:12]}...); it was deleted, download again"
        )


def install_archive(archive: Path, dest: Path) -> None:
    """Verify ``archive`` and move the model in it to ``dest`` atomically.

    A corrupt archive is deleted (resuming it cannot help); ModelDownloadError
    says what was wrong.
    """
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        root = _extract_verified(archive, staging)
        missing = missing_files(root)
        if missing:
            archive.unlink(missing_ok=True)
            raise ModelDownloadError(
                f"archive {archive.name} is not a vosk model: missing {', '.join(missing)}"
            )
        _replace_dir(root, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _extract_verified(archive: Path, staging: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise zipfile.BadZipFile(f"bad CRC for {bad}")
            for member in zf.namelist():
                pure = PurePosixPath(member)
                if pure.is_absolute() or ".." in pure.parts:
                    raise zipfile.BadZipFile(f"unsafe path {member!r}")
            zf.extractall(staging)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        archive.unlink(missing_ok=True)
        raise ModelDownloadError(
            f"archive {archive.name} is corrupt ({exc}); it was deleted, download again"
        ) from exc
    entries = [p for p in staging.iterdir() if not p.name.startswith("__MACOSX")]
    # Official archives hold one top-level directory named after the model.
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else staging


def _replace_dir(new: Path, dest: Path) -> None:
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        dest.rename(old)
    new.rename(dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
