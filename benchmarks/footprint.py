"""Wheel size and installed footprint of drivetalk (and of its runtime dependencies).

Usage::

    .venv/bin/python benchmarks/footprint.py [--source DIR]

Builds the wheel of ``--source`` (default: this checkout) with ``pip wheel
--no-deps --no-build-isolation``, installs it with ``pip install --no-deps
--target`` into a temporary directory and measures both; then sums the files
listed in the installed RECORDs of drivetalk's runtime dependency closure in
this virtualenv (what ``pip install drivetalk`` adds to a machine).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tree_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def dependency_closure(name: str) -> set[str]:
    """Distribution names ``name`` needs at run time (extras excluded), itself included."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = re.split(r"[\s\[<>=!~;(]", todo.pop(), maxsplit=1)[0].lower()
        if not current or current in seen:
            continue
        try:
            dist = distribution(current)
        except PackageNotFoundError:
            continue
        seen.add(current)
        todo.extend(r for r in dist.requires or [] if "extra ==" not in r)
    return seen


def installed_bytes(name: str) -> int:
    dist = distribution(name)
    total = 0
    for entry in dist.files or []:
        path = Path(str(dist.locate_file(entry)))
        if path.is_file():
            total += path.stat().st_size
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(
            args.source, src, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__")
        )
        out = Path(tmp) / "dist"
        pip = [sys.executable, "-m", "pip"]
        build = ["wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(src)]
        subprocess.run([*pip, *build], check=True, capture_output=True)
        wheel = next(out.glob("drivetalk-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            wavs = sum(i.file_size for i in archive.infolist() if i.filename.endswith(".wav"))
            files = len(archive.infolist())
        target = Path(tmp) / "site"
        install = ["install", "--no-deps", "--no-index", "-q", "--target", str(target), str(wheel)]
        subprocess.run([*pip, *install], check=True, capture_output=True)
        installed = tree_bytes(target)
        size = wheel.stat().st_size
    deps = sorted(dependency_closure("drivetalk") - {"drivetalk"})
    dep_bytes = sum(installed_bytes(d) for d in deps)
    mb = 1024 * 1024
    print(f"| wheel | {size / mb:.2f} MB ({files} files, {wavs / mb:.2f} MB of WAV) |")
    print(f"| drivetalk installed | {installed / mb:.2f} MB |")
    print(
        f"| runtime dependencies installed ({len(deps)} distributions) | {dep_bytes / mb:.0f} MB |"
    )


if __name__ == "__main__":
    main()
