"""The summary of a batch run: running aggregates over output rows, never the rows themselves."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from interviewer.grading.judge.usage import JudgeUsage
from interviewer.grading.models import fallback_kind

REVIEW_LIST_LIMIT = 100  # rows needing review (and error rows) listed in the summary
HISTOGRAM_BINS = 10

# Exit codes of `interviewer grade` (2: unusable input or a busy output, 3: the store, 4: a
# file could not be written, come from the errors raised).
EXIT_OK = 0
EXIT_ROW_ERRORS = 1
EXIT_FALLBACKS = 5



@dataclass
class ScoreStats:
    """Count, mean and exact median of scores rounded to 0.1 (as written in the output).

    Scores are kept as a count per tenth of a point, at most 1,001 entries however many
    rows there are, so memory stays flat.
    """

    count: int = 0
    total: float = 0.0
    tenths: Counter = field(default_factory=Counter)

    def add(self, score: float) -> None:
        self.count += 1
        self.total += score
        self.tenths[round(score * 10)] += 1

    @property
    def mean(self) -> float | None:
        return round(self.total / self.count, 1) if self.count else None

    @property
    def median(self) -> float | None:
        if not self.count:
            return None
        ordered = sorted(self.tenths.items())

        def nth(n: int) -> int:
            seen = 0
            for value, times in ordered:
                seen += times
                if seen > n:
                    return value
            return ordered[-1][0]

        middle = self.count // 2
        if self.count % 2:
            return nth(middle) / 10
        return round((nth(middle - 1) + nth(middle)) / 20, 2)

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "mean": self.mean, "median": self.median}


@dataclass
class BatchSummary:
    """Running aggregates over output rows (fed in order; never holds the rows)."""

    source: str = ""
    output: str = ""
    format: str = "csv"
    grader: str = ""
    session_id: str | None = None
    report: str | None = None
    rows: int = 0
    graded: int = 0
    errors: int = 0
    needs_review: int = 0
    resumed: int = 0
    redone: int = 0  # rows of the earlier run graded again on --resume (from the first the judge failed on)
    seconds: float = 0.0
    overall: ScoreStats = field(default_factory=ScoreStats)
    histogram: list[int] = field(default_factory=lambda: [0] * HISTOGRAM_BINS)
    per_question: dict[str, ScoreStats] = field(default_factory=dict)
    per_candidate: dict[str, ScoreStats] = field(default_factory=dict)
    per_grader: dict[str, ScoreStats] = field(default_factory=dict)
    fallbacks: int = 0
    fallback_reasons: Counter = field(default_factory=Counter)
    review: list[dict[str, Any]] = field(default_factory=list)
    error_rows: list[dict[str, Any]] = field(default_factory=list)
    judge_usage: JudgeUsage = field(default_factory=JudgeUsage)

    def add(self, record: dict[str, Any]) -> None:
        self.rows += 1
        if record.get("error"):
            self.errors += 1
            if len(self.error_rows) < REVIEW_LIST_LIMIT:
                self.error_rows.append({"id": record["id"], "error": record["error"]})
            return
        score = record.get("score")
        if score is None:
            return
        self.graded += 1
        self.overall.add(score)
        self.per_grader.setdefault(record.get("grader") or "", ScoreStats()).add(score)
        if record.get("fallback_reason"):
            self.fallbacks += 1
            self.fallback_reasons[fallback_kind(record["fallback_reason"])] += 1
        self.histogram[min(int(score // (100 / HISTOGRAM_BINS)), HISTOGRAM_BINS - 1)] += 1
        self.per_question.setdefault(record["question_id"], ScoreStats()).add(score)
        self.per_candidate.setdefault(record.get("candidate") or "", ScoreStats()).add(score)
        if record.get("needs_review"):
            self.needs_review += 1
            if len(self.review) < REVIEW_LIST_LIMIT:
                self.review.append({
                    "id": record["id"], "candidate": record.get("candidate") or "",
                    "question_id": record["question_id"], "score": score, "verdict": record.get("verdict"),
                })

    @property
    def exit_code(self) -> int:
        if self.errors:
            return EXIT_ROW_ERRORS
        return EXIT_FALLBACKS if self.fallbacks else EXIT_OK

    def as_dict(self) -> dict[str, Any]:
        width = 100 // HISTOGRAM_BINS
        return {
            "source": self.source, "output": self.output, "format": self.format, "report": self.report,
            "grader": self.grader, "session_id": self.session_id,
            "rows": self.rows, "graded": self.graded, "errors": self.errors,
            "needs_review": self.needs_review, "resumed": self.resumed, "redone": self.redone,
            "seconds": round(self.seconds, 2),
            "rows_per_second": round((self.rows - self.resumed) / self.seconds, 1) if self.seconds else None,
            "score": self.overall.as_dict(),
            "per_grader": {name: stats.as_dict() for name, stats in sorted(self.per_grader.items())},
            "fallbacks": self.fallbacks,
            "fallback_reasons": dict(self.fallback_reasons.most_common()),
            "histogram": [
                {"from": i * width, "to": (i + 1) * width, "count": count}
                for i, count in enumerate(self.histogram)
            ],
            "per_question": {qid: stats.as_dict() for qid, stats in sorted(self.per_question.items())},
            "per_candidate": {name: stats.as_dict() for name, stats in sorted(self.per_candidate.items())},
            "review": self.review,
            "error_rows": self.error_rows,
            "judge_usage": self.judge_usage.as_dict() if self.judge_usage.any else None,
            "exit_code": self.exit_code,
        }
