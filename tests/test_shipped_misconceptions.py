"""The shipped rubrics' misconceptions, as a candidate meets them: a correct answer (the model
answer, or the rubric's own concept descriptions said as one answer) is never warned of a
misconception, and each misconception, stated as an answer, is always caught."""

from __future__ import annotations

import pytest

from interviewer.bank.loader import load_default_bank
from interviewer.grading.models import GradeRequest, WarningKind
from interviewer.grading.offline import OfflineGrader

BANK = load_default_bank()
IDS = sorted(BANK.items)


def _correct_answers() -> list[tuple[str, str, str]]:
    """(question id, what it is, text) for every shipped question's correct material."""
    answers = []
    for question_id in IDS:
        item = BANK.items[question_id]
        answers.append((question_id, "reference answer", item.question.reference_answer))
        described = " ".join(c.description for c in item.rubric.concepts if c.description.strip())
        answers.append((question_id, "concept descriptions", described))
    return answers


def _warned(grades, answers) -> list[tuple[str, str, list[str]]]:
    return [(question_id, kind, [w.message for w in grade.warnings if w.kind is WarningKind.misconception])
            for (question_id, kind, _), grade in zip(answers, grades)
            if grade.has_warning(WarningKind.misconception)]


def test_every_shipped_question_lists_common_misconceptions():
    counts = {question_id: len(BANK.items[question_id].rubric.misconceptions) for question_id in IDS}
    assert {q: n for q, n in counts.items() if not 2 <= n <= 4} == {}
    for question_id in IDS:
        for item in BANK.items[question_id].rubric.misconceptions:
            assert item.aliases and item.explanation.strip(), (question_id, item.statement)


def test_no_correct_answer_draws_a_misconception_warning_offline():
    answers = _correct_answers()
    grades = OfflineGrader().grade_many([GradeRequest.for_item(BANK.items[q], text) for q, _, text in answers])
    assert _warned(grades, answers) == []


@pytest.mark.embedding
def test_no_correct_answer_draws_a_misconception_warning_with_the_embedding_grader():
    from interviewer.grading.embedding import EmbeddingGrader

    answers = _correct_answers()
    grades = EmbeddingGrader().grade_many([GradeRequest.for_item(BANK.items[q], text) for q, _, text in answers])
    assert all(grade.grader == "embedding" for grade in grades)
    assert _warned(grades, answers) == []


@pytest.mark.parametrize("question_id", IDS)
def test_each_misconception_stated_as_an_answer_is_caught(question_id):
    item = BANK.items[question_id]
    grader = OfflineGrader()
    for misconception in item.rubric.misconceptions:
        grade = grader.grade(GradeRequest.for_item(item, misconception.statement))
        warnings = [w.message for w in grade.warnings if w.kind is WarningKind.misconception]
        assert any(f"({misconception.statement})" in message for message in warnings), (
            misconception.statement, grade.warnings)
        if misconception.explanation.strip():
            assert any(misconception.explanation.strip() in message for message in warnings)
