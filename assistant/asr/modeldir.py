"""What a usable vosk model directory must contain, and what it can do.

Used both before loading (a clear ModelError instead of vosk's opaque
"Failed to create a model") and after a download, before installing.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.errors import ModelError

#: Files every vosk model needs.
REQUIRED_FILES = ("am/final.mdl", "conf/mfcc.conf", "conf/model.conf")
#: Either a static graph or a lookahead pair (which allows runtime grammars).
STATIC_GRAPH = ("graph/HCLG.fst",)
LOOKAHEAD_GRAPH = ("graph/HCLr.fst", "graph/Gr.fst")

DEFAULT_RATE = 16000


def missing_files(root: Path) -> list[str]:
    """Required files absent from ``root`` (empty when the model is complete)."""
    missing = [name for name in REQUIRED_FILES if not (root / name).is_file()]
    has_static = all((root / n).is_file() for n in STATIC_GRAPH)
    has_lookahead = all((root / n).is_file() for n in LOOKAHEAD_GRAPH)
    if not (has_static or has_lookahead):
        missing.append("graph/HCLG.fst (or graph/HCLr.fst + graph/Gr.fst)")
    return missing


def check_model_dir(root: Path) -> None:
    """Raise ModelError unless ``root`` looks like a complete vosk model."""
    if not root.is_dir():
        raise ModelError(f"speech model {root} is not a directory")
    missing = missing_files(root)
    if missing:
        raise ModelError(f"speech model {root} is incomplete: missing {', '.join(missing)}")


def supports_grammar(root: Path) -> bool:
    """Whether the model has a lookahead graph, so runtime grammars work."""
    return (
        all((root / n).is_file() for n in LOOKAHEAD_GRAPH)
        and not (root / "graph/HCLG.fst").is_file()
    )


def model_sample_rate(root: Path) -> int:
    """The rate the model's features are computed at (``--sample-frequency``, default 16 kHz)."""
    try:
        text = (root / "conf/mfcc.conf").read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ModelError(f"cannot read {root / 'conf/mfcc.conf'}: {exc.strerror}") from exc
    match = re.search(r"--sample-frequency=(\d+)", text)
    return int(match.group(1)) if match else DEFAULT_RATE
