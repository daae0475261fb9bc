"""An answer to another question of the field is not an answer to this one, however many
words the two topics share: both graders, the real packaged model."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from interviewer.bank.loader import load_default_bank
from interviewer.grading.embedding import EmbeddingGrader
from interviewer.grading.models import GradeRequest, WarningKind
from interviewer.grading.offline import OfflineGrader

pytestmark = pytest.mark.embedding

QUESTIONS = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "grading_answers.yaml").read_text(encoding="utf-8")
)["questions"]


def _answer(question: dict, kind: str) -> str:
    value = question[kind]
    return value["answer"] if isinstance(value, dict) else value


@pytest.fixture(scope="module", params=["offline", "embedding"])
def grader(request):
    return OfflineGrader() if request.param == "offline" else EmbeddingGrader()


@pytest.mark.parametrize("index", range(len(QUESTIONS)))
def test_a_full_answer_to_another_question_scores_near_zero_and_names_it(grader, index):
    bank = load_default_bank()
    written_for = bank.get(QUESTIONS[index]["id"])
    asked = bank.get(QUESTIONS[(index + 1) % len(QUESTIONS)]["id"])
    answer = _answer(QUESTIONS[index], "full")
    own = grader.grade(GradeRequest.for_item(written_for, answer))
    misplaced = grader.grade(GradeRequest.for_item(asked, answer))
    assert own.score >= 60
    assert misplaced.score <= 10
    assert misplaced.has_warning(WarningKind.off_topic)
    assert any(written_for.question.prompt[:40] in w.message for w in misplaced.warnings), misplaced.warnings


@pytest.mark.parametrize("kind", ["full", "paraphrase", "partial"])
def test_answers_to_the_question_asked_are_not_said_to_answer_another(grader, kind):
    bank = load_default_bank()
    for question in QUESTIONS:
        grade = grader.grade(GradeRequest.for_item(bank.get(question["id"]), _answer(question, kind)))
        assert not grade.has_warning(WarningKind.off_topic), (question["id"], grade.warnings)


# Questions of a bank of one's own (a reference answer, no rubric) on topics the shipped banks
# also cover: the shipped question on the same topic is not "another question".
OWN_BANK = {
    "dl-nlp/q14-dropout": ("Explain dropout.", "Dropout randomly zeroes units during training so the network "
                           "cannot rely on any one of them; it reduces overfitting."),
    "dl-nlp/q5-batch-norm": ("What is batch normalization?", "It normalizes activations using batch "
                             "statistics, then scales and shifts them."),
    "dl-nlp/q10-lstm": ("What does an LSTM add to an RNN?", "Gates and a cell state that let it keep "
                        "information over long sequences and avoid vanishing gradients."),
    "dl-nlp/q13-early-stopping": ("Why use early stopping?", "To stop training when validation loss stops "
                                  "improving, which prevents overfitting."),
}


@pytest.mark.parametrize("shipped_id", sorted(OWN_BANK))
def test_a_question_of_ones_own_on_a_shipped_topic_is_not_another_question(grader, shipped_id):
    from interviewer.bank.models import Question
    from interviewer.grading.rubric_from_reference import derive_rubric

    prompt, reference = OWN_BANK[shipped_id]
    question = Question(id="own/q1", level="beginner", prompt=prompt, reference_answer=reference)
    answer = _answer(next(q for q in QUESTIONS if q["id"] == shipped_id), "full")
    grade = grader.grade(GradeRequest(question=question, rubric=derive_rubric(question), answer=answer))
    assert "another_question" not in grade.details, grade.details
    assert not grade.has_warning(WarningKind.off_topic)
