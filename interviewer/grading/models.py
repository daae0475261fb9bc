"""The Grade: one serializable value that carries its own explanation."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from interviewer.bank.models import BankQuestion, Question, Rubric


class Verdict(str, Enum):
    """Score bands. Thresholds: strong >= 80, good >= 60, partial >= 40, weak < 40."""

    strong = "strong"
    good = "good"
    partial = "partial"
    weak = "weak"


VERDICT_THRESHOLDS: tuple[tuple[float, Verdict], ...] = (
    (80.0, Verdict.strong),
    (60.0, Verdict.good),
    (40.0, Verdict.partial),
    (0.0, Verdict.weak),
)


def verdict_for(score: float) -> Verdict:
    for threshold, verdict in VERDICT_THRESHOLDS:
        if score >= threshold:
            return verdict
    return Verdict.weak


class ConceptStatus(str, Enum):
    covered = "covered"
    partly = "partly"
    missing = "missing"


class ConceptResult(BaseModel):
    """How one rubric concept shows in the answer."""

    model_config = ConfigDict(frozen=True)

    label: str
    status: ConceptStatus
    evidence: str | None = Field(
        default=None, description="a span quoted verbatim from the answer; None when missing"
    )
    strength: float = Field(ge=0.0, le=1.0, description="match strength, 0 to 1")
    weight: float = 1.0
    required: bool = False
    error: str | None = Field(
        default=None, description="the answer's own words that contradict or deny this concept, if any"
    )


class WarningKind(str, Enum):
    too_short = "too_short"
    parrots_question = "parrots_question"
    negated_concept = "negated_concept"
    off_topic = "off_topic"
    misconception = "misconception"
    contradiction = "contradiction"
    lists_terms = "lists_terms"
    injection = "injection"
    judge_failed = "judge_failed"
    grader_fallback = "grader_fallback"


class GradeWarning(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: WarningKind
    message: str


class Feedback(BaseModel):
    model_config = ConfigDict(frozen=True)

    good: str = Field(description="what the answer did well")
    missing: str = Field(description="what a strong answer would add")
    next_step: str = Field(description="one concrete thing to study or practise next")


class Grade(BaseModel):
    """The result of grading one answer."""

    model_config = ConfigDict(frozen=True)

    score: float = Field(ge=0.0, le=100.0)
    verdict: Verdict
    concepts: list[ConceptResult] = Field(default_factory=list)
    reference_similarity: float = Field(ge=0.0, le=1.0)
    feedback: Feedback
    warnings: list[GradeWarning] = Field(default_factory=list)
    needs_review: bool = False
    follow_up: str | None = Field(
        default=None, description="a question an interviewer would ask next about the weakest point"
    )
    grader: str
    grader_version: str
    fallback_reason: str | None = Field(
        default=None, description="why the grader asked for did not grade this answer (grader is the one that did)"
    )
    details: dict[str, Any] = Field(
        default_factory=dict, description="grader-specific extras: features, judge reply, token usage"
    )

    @property
    def covered(self) -> list[ConceptResult]:
        return [c for c in self.concepts if c.status is ConceptStatus.covered]

    @property
    def partly(self) -> list[ConceptResult]:
        return [c for c in self.concepts if c.status is ConceptStatus.partly]

    @property
    def missing(self) -> list[ConceptResult]:
        return [c for c in self.concepts if c.status is ConceptStatus.missing]

    def has_warning(self, kind: WarningKind) -> bool:
        return any(warning.kind is kind for warning in self.warnings)


def fallback_kind(reason: str) -> str:
    """A fallback reason without its per-row detail, for counting: 'judge: HTTP 500'."""
    grader, _, why = reason.partition(": ")
    return f"{grader}: {why.split(': ')[0].split(' (')[0]}" if why else reason


@dataclass(frozen=True)
class GradeRequest:
    """One answer to grade, with the question and rubric it answers."""

    question: Question
    rubric: Rubric
    answer: str
    spoken: bool = False

    @classmethod
    def for_item(cls, item: BankQuestion, answer: str, *, spoken: bool = False) -> "GradeRequest":
        return cls(question=item.question, rubric=item.rubric, answer=answer, spoken=spoken)
