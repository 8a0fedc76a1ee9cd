"""Where the shipped replay set (``audio_samples/``) is, or how to get it.

The 8 MB of recorded utterances live in the repository, not in the wheel:
cars and servers do not need them. ``drivetalk replay`` without a path looks
for the set in the current directory and in the checkout this package runs
from (an editable install); an installed wheel has neither, and the error
says how to fetch the set.
"""

from __future__ import annotations

from pathlib import Path

from assistant.errors import UserInputError

#: The directory name of the set in a checkout.
SAMPLES_DIR = "audio_samples"
#: The file inside it that makes it a replay set.
MANIFEST = "manifest.yaml"

HOW_TO_GET = (
    "the replay sample set is not installed with the drivetalk wheel; "
    "get it from a DriveTalk source checkout (git clone the repository, then run "
    f"'drivetalk replay {SAMPLES_DIR}' in it) or pass the path of your own manifest"
)


def candidates(cwd: Path | None = None) -> list[Path]:
    """Places the set may be, first match wins: the working directory, then the checkout."""
    checkout = Path(__file__).resolve().parents[2]
    return [(cwd or Path.cwd()) / SAMPLES_DIR, checkout / SAMPLES_DIR]


def find_samples(cwd: Path | None = None) -> Path:
    """The sample set's directory; UserInputError saying how to get it when absent."""
    for place in candidates(cwd):
        if (place / MANIFEST).is_file():
            return place
    raise UserInputError(HOW_TO_GET)
