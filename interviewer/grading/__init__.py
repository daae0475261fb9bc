"""Grading: the Grade value, the Grader protocol and the graders.

The names below load on first use, so importing a light submodule (say the judge's
configuration, which the CLI needs for its option defaults) does not pull in pydantic.
"""

from interviewer.lazy import lazy_exports

_EXPORTS = {
    "ConceptResult": "models",
    "ConceptStatus": "models",
    "Feedback": "models",
    "Grade": "models",
    "GradeRequest": "models",
    "GradeWarning": "models",
    "Verdict": "models",
    "WarningKind": "models",
    "verdict_for": "models",
    "Grader": "protocol",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
