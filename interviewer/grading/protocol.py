"""What every grader offers. Graders keep no per-call state: safe to share across threads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from interviewer.grading.models import Grade, GradeRequest


@runtime_checkable
class Grader(Protocol):
    name: str
    version: str

    def grade(self, request: GradeRequest) -> Grade:
        """Grade one answer."""
        ...

    def grade_many(self, requests: Sequence[GradeRequest]) -> list[Grade]:
        """Grade many answers at once (batched for speed), in input order."""
        ...
