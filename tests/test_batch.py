"""The batch logic as plain functions: question lookup, chunked grading, running aggregates."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interviewer.bank.loader import load_bank
from interviewer.batch.grading import QuestionResolver, grade_submissions
from interviewer.batch.summary import BatchSummary, ScoreStats
from interviewer.batch.submissions import Submission, read_submissions
from interviewer.grading.offline import OfflineGrader
from interviewer.grading.rubric_from_reference import derive_rubric
from test_grade_cli import write_bank, write_many


@pytest.fixture
def resolver(tmp_path: Path) -> QuestionResolver:
    return QuestionResolver(load_bank([write_bank(tmp_path / "bank")]), derive_rubric)


def _row(**fields: str) -> Submission:
    return Submission(row=1, line=2, id="1", **fields)


@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=1, max_size=200))
def test_running_median_and_mean_match_the_rounded_scores(scores: list[float]) -> None:
    stats = ScoreStats()
    for score in scores:
        stats.add(round(score, 1))
    rounded = [round(score, 1) for score in scores]
    assert stats.count == len(scores)
    assert stats.median == pytest.approx(statistics.median(rounded), abs=1e-9)
    assert stats.mean == pytest.approx(statistics.mean(rounded), abs=0.051)


def test_summary_histogram_bins_and_groups() -> None:
    summary = BatchSummary()
    for n, score in enumerate([0.0, 9.9, 10.0, 79.9, 80.0, 100.0]):
        summary.add({"id": str(n), "candidate": "a" if n % 2 else "", "question_id": "q/x", "score": score,
                     "needs_review": n == 3, "verdict": "weak", "error": None})
    summary.add({"id": "e", "candidate": "a", "question_id": "q/x", "score": None, "needs_review": False,
                 "error": "line 9: empty answer"})
    assert summary.histogram == [2, 1, 0, 0, 0, 0, 0, 1, 1, 1]
    assert (summary.rows, summary.graded, summary.errors, summary.needs_review) == (7, 6, 1, 1)
    assert summary.per_candidate["a"].count == 3 and summary.per_candidate[""].count == 3
    assert summary.review[0]["id"] == "3" and summary.exit_code == 1


def test_resolver_bank_inline_and_unknown(resolver: QuestionResolver) -> None:
    qid, item, error = resolver.resolve(_row(question_id="bt/dropout", answer="x"))
    assert (qid, error) == ("bt/dropout", None) and item.rubric.concepts[0].label == "randomly zeroes activations"

    qid, item, error = resolver.resolve(_row(question_id="nope/q", answer="x"))
    assert item is None and "unknown question id 'nope/q'" in error

    inline = dict(question="What is a tensor?", reference_answer="A tensor is a multi-dimensional array of numbers.")
    qid, item, error = resolver.resolve(_row(**inline, keywords="array, dimensions", answer="x"))
    assert error is None and qid.startswith("inline/")
    assert [c.label for c in item.rubric.concepts] == ["array", "dimensions"]
    same, again, _ = resolver.resolve(_row(**inline, keywords="array, dimensions", answer="y"))
    assert again is item  # built once, then cached

    qid, derived, error = resolver.resolve(_row(**inline, question_id="my/tensor", answer="x"))
    assert error is None and qid == "my/tensor"
    assert any("array" in c.label.lower() for c in derived.rubric.concepts)


def test_chunking_keeps_input_order(tmp_path: Path, resolver: QuestionResolver) -> None:
    source = tmp_path / "subs.csv"
    write_many(source, 50)
    grader = OfflineGrader()
    whole = [r.record() for r in grade_submissions(read_submissions(source), grader, resolver, chunk_size=256)]
    small = [r.record() for r in grade_submissions(read_submissions(source), grader, resolver, chunk_size=7)]
    assert [r["id"] for r in whole] == [f"r{n}" for n in range(50)]
    assert small == whole
