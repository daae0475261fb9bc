"""The offline grader: instant, deterministic, no model and no network.

It matches rubric concepts by normalised, stemmed words, aliases and typo-tolerant
spelling, measures how much of the reference answer's content the answer shares (words
weighted by rarity, the question's own words demoted), and combines them in one fixed
formula.
"""

from __future__ import annotations

from collections.abc import Sequence

from interviewer.grading.explain import build_grade, findings_from_lexical, lexical_signals
from interviewer.grading.lexical import LexicalEvidence, analyse
from interviewer.grading.models import Grade, GradeRequest

OFFLINE_VERSION = "1.0"


def lexical_score(evidence: LexicalEvidence) -> float:
    """0-100: the rubric concepts the answer covers, and the rarity-weighted share of the
    reference's words it states (question words demoted). The square root on the latter is
    lenient the way interviewers are: nobody repeats a whole model answer, and half of its
    content already reads as a passable answer."""
    weight = evidence.prepared.coverage_weight
    recall = min(1.0, max(0.0, evidence.overlap.recall))
    return 100.0 * (weight * evidence.coverage + (1.0 - weight) * recall**0.5)


def lexical_details(evidence: LexicalEvidence) -> dict[str, float]:
    lap = evidence.overlap
    return {
        "coverage": round(evidence.coverage, 4),
        "reference_recall": round(lap.recall, 4),
        "reference_precision": round(lap.precision, 4),
        "question_share": round(lap.question_share, 4),
        "content_words": lap.content_words,
    }


class OfflineGrader:
    name = "offline"
    version = OFFLINE_VERSION
    runs_in_processes = True  # pure Python and stateless: a batch may spread it over cores

    def grade(self, request: GradeRequest) -> Grade:
        evidence = analyse(request.question, request.rubric, request.answer, spoken=request.spoken)
        return build_grade(
            score=lexical_score(evidence),
            similarity=evidence.overlap.f_measure,
            findings=findings_from_lexical(evidence),
            evidence=evidence,
            signals=lexical_signals(evidence, evidence.coverage),
            grader=self.name,
            version=self.version,
            details=lexical_details(evidence),
        )

    def grade_many(self, requests: Sequence[GradeRequest]) -> list[Grade]:
        return [self.grade(request) for request in requests]
