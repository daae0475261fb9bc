"""Where spoken answers are kept: WAV files in `recordings/` beside the transcript database.

A turn (and a draft) stores the path relative to the database's folder, so the folder can be
moved or backed up whole; an absolute path (a batch run's input files) is stored as it is.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

RECORDINGS = "recordings"


def new_recording(home: Path, session_id: str, question_id: str) -> tuple[Path, str]:
    """A fresh file for one recording: (its absolute path, what the store keeps)."""
    name = re.sub(r"[^a-z0-9._-]+", "-", question_id.lower()).strip("-") or "answer"
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    folder = home / RECORDINGS / session_id[:8]
    path = folder / f"{name}-{stamp}.wav"
    counter = 1
    while path.exists():
        counter += 1
        path = folder / f"{name}-{stamp}-{counter}.wav"
    return path, path.relative_to(home).as_posix()


def resolve(stored: str, home: Path) -> Path:
    path = Path(stored)
    return path if path.is_absolute() else home / path
