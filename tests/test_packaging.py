"""The built wheel carries every data file it needs, its licence, and no test audio."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("assistant", "intents", "connectors")
DATA_SUFFIXES = {
    ".yaml",
    ".yml",
    ".json",
    ".jsonl",
    ".html",
    ".js",
    ".css",
    ".wav",
    ".toml",
    ".onnx",
    ".npz",
}


def _data_files() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if path.suffix in DATA_SUFFIXES and "__pycache__" not in path.parts:
                found.add(path.relative_to(ROOT).as_posix())
    return found


@pytest.mark.slow
def test_wheel_contains_all_package_data(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, src / name)
    for package in (*PACKAGES, "audio_samples"):
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(out.glob("drivetalk-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        declared = archive.read(entry_points).decode()
    missing = _data_files() - names
    assert not missing, f"data files missing from the wheel: {sorted(missing)}"
    assert "drivetalk = assistant.cli:main" in declared
    assert "[drivetalk.connectors]" in declared
    # The replay set stays in the repository: no car or server needs 8 MB of test WAVs.
    assert not [n for n in names if n.endswith(".wav") or n.startswith("audio_samples/")]
    licence = next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))
    with zipfile.ZipFile(wheel) as archive:
        assert "Apache License" in archive.read(licence).decode()
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "License-Expression: Apache-2.0" in metadata
