"""Grading: the Grade value, the Grader protocol and the graders."""

from interviewer.grading.models import (
    ConceptResult,
    ConceptStatus,
    Feedback,
    Grade,
    GradeRequest,
    GradeWarning,
    Verdict,
    WarningKind,
    verdict_for,
)
from interviewer.grading.protocol import Grader

__all__ = [
    "ConceptResult",
    "ConceptStatus",
    "Feedback",
    "Grade",
    "GradeRequest",
    "GradeWarning",
    "Grader",
    "Verdict",
    "WarningKind",
    "verdict_for",
]
