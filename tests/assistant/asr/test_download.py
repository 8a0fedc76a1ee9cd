"""``model pull`` against a real HTTP server on loopback: resume, verify, atomic install."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.asr.download import pull_model
from assistant.errors import ModelDownloadError
from tests.assistant.asr.archive_server import NAME, Archive
from tests.assistant.asr.modelfiles import REQUIRED_FILES, model_zip


def test_a_download_installs_the_model_atomically(
    tmp_path: Path, server: tuple[str, Archive]
) -> None:
    url, archive = server
    archive.payload = model_zip(NAME)
    seen: list[tuple[int, int | None]] = []
    path = pull_model(NAME, url, tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert path == tmp_path / NAME
    assert all((path / name).is_file() for name in REQUIRED_FILES)
    assert seen[-1] == (len(archive.payload), len(archive.payload))
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]  # no part file, no staging


def test_an_interrupted_download_resumes_with_a_range_request(
    tmp_path: Path, server: tuple[str, Archive]
) -> None:
    url, archive = server
    archive.payload = model_zip(NAME)
    archive.cut_after = len(archive.payload) // 3
    with pytest.raises(ModelDownloadError, match="run the same command again"):
        pull_model(NAME, url, tmp_path)
    part = tmp_path / f"{NAME}.zip.part"
    kept = part.stat().st_size
    assert 0 < kept <= len(archive.payload) // 3
    assert not (tmp_path / NAME).exists()
    path = pull_model(NAME, url, tmp_path)
    assert archive.ranges == [None, f"bytes={kept}-"]
    assert (path / "am/final.mdl").is_file()
    assert not part.exists()


def test_a_complete_part_file_is_installed_without_downloading_again(
    tmp_path: Path, server: tuple[str, Archive]
) -> None:
    url, archive = server
    archive.payload = model_zip(NAME)
    (tmp_path / f"{NAME}.zip.part").write_bytes(archive.payload)
    assert (pull_model(NAME, url, tmp_path) / "conf/model.conf").is_file()
    assert archive.ranges == [f"bytes={len(archive.payload)}-"]


def test_a_corrupt_archive_is_rejected_and_deleted(
    tmp_path: Path, server: tuple[str, Archive]
) -> None:
    url, archive = server
    good = bytearray(model_zip(NAME))
    middle = len(good) // 2
    good[middle : middle + 200] = bytes(200)  # damage compressed data: CRC check fails
    archive.payload = bytes(good)
    with pytest.raises(ModelDownloadError, match="corrupt"):
        pull_model(NAME, url, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_not_a_zip_at_all_is_rejected(tmp_path: Path, server: tuple[str, Archive]) -> None:
    url, archive = server
    archive.payload = b"<html>404 page served with status 200</html>"
    with pytest.raises(ModelDownloadError, match="corrupt"):
        pull_model(NAME, url, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_archive_missing_required_files_is_rejected(
    tmp_path: Path, server: tuple[str, Archive]
) -> None:
    url, archive = server
    archive.payload = model_zip(NAME, files=("conf/mfcc.conf", "graph/HCLG.fst"))
    with pytest.raises(ModelDownloadError, match=r"not a vosk model: missing am/final\.mdl"):
        pull_model(NAME, url, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_http_error_is_a_download_error(tmp_path: Path, server: tuple[str, Archive]) -> None:
    url, archive = server
    archive.status = 404
    with pytest.raises(ModelDownloadError, match="HTTP 404"):
        pull_model(NAME, url, tmp_path)


def test_an_unreachable_server_is_a_download_error(tmp_path: Path) -> None:
    with pytest.raises(ModelDownloadError, match="interrupted"):
        pull_model(NAME, "http://127.0.0.1:9/nothing.zip", tmp_path)


def test_an_archive_matching_its_published_checksum_is_installed(
    tmp_path: Path, server: tuple[str, Archive]
) -> None:
    url, archive = server
    archive.payload = model_zip(NAME)
    digest = hashlib.sha256(archive.payload).hexdigest()
    assert (pull_model(NAME, url, tmp_path, sha256=digest) / "am/final.mdl").is_file()


def test_an_archive_not_matching_its_published_checksum_is_deleted_and_refused(
    tmp_path: Path, server: tuple[str, Archive]
) -> None:
    url, archive = server
    archive.payload = model_zip(NAME)  # a valid zip, but not the published archive
    with pytest.raises(ModelDownloadError, match=r"not the published one.*download again"):
        pull_model(NAME, url, tmp_path, sha256="0" * 64)
    assert list(tmp_path.iterdir()) == []
