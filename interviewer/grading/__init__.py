"""Grading: the Grade value, the Grader protocol and the graders.

The names below load on first use, so importing a light submodule (say the judge's
configuration, which the CLI needs for its option defaults) does not pull in pydantic.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ConceptResult": "interviewer.grading.models",
    "ConceptStatus": "interviewer.grading.models",
    "Feedback": "interviewer.grading.models",
    "Grade": "interviewer.grading.models",
    "GradeRequest": "interviewer.grading.models",
    "GradeWarning": "interviewer.grading.models",
    "Verdict": "interviewer.grading.models",
    "WarningKind": "interviewer.grading.models",
    "verdict_for": "interviewer.grading.models",
    "Grader": "interviewer.grading.protocol",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
