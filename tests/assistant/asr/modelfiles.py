"""Fake-but-complete model directories and archives for the model-management tests."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

from assistant.asr.modeldir import REQUIRED_FILES

LOOKAHEAD = ("graph/HCLr.fst", "graph/Gr.fst")


def make_model_dir(root: Path, files: tuple[str, ...] = REQUIRED_FILES + LOOKAHEAD) -> Path:
    """A directory holding (empty) files at the paths a vosk model needs."""
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x" * 64)
    return root


def model_zip(name: str, files: tuple[str, ...] = REQUIRED_FILES + LOOKAHEAD) -> bytes:
    """A zip laid out like the official archives: one top directory named ``name``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            # Incompressible, so an archive is large enough to be cut mid-stream.
            zf.writestr(f"{name}/{path}", random.Random(path).randbytes(60_000))
        zf.writestr(f"{name}/README", "a test model\n")
    return buffer.getvalue()
