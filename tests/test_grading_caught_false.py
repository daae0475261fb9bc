"""An answer caught stating something false gets no benefit of the doubt for the rest of what
it says: only statements the reference's facts back keep their credit. Both graders, the real
packaged model; wording of its own (not the probe benchmark's)."""

from __future__ import annotations

import pytest

from interviewer.bank.loader import load_default_bank
from interviewer.grading.embedding import EmbeddingGrader
from interviewer.grading.models import GradeRequest, WarningKind
from interviewer.grading.offline import OfflineGrader

pytestmark = pytest.mark.embedding

# One false statement each grader catches, among other false claims in the right vocabulary.
FLUENT_WRONG = {
    "dl-nlp/q13-early-stopping": (
        "Early stopping ends training as soon as the training accuracy reaches 100 percent, because then the "
        "network has learned everything in the data. It matters because it makes the model overfit more, and it "
        "keeps the weights of the last epoch, which are always the best. Patience is the number of batches it "
        "waits before increasing the learning rate."),
    "dl-nlp/q5-batch-norm": (
        "Batch normalization rescales the whole training set once before training, dividing each input by its "
        "largest value so everything lies between 0 and 1. Since the data is then fixed you no longer need a "
        "learning rate, and it replaces the activation function, so you put it after the output layer."),
    "tf/q4-optimizer-purpose": (
        "The optimizer computes the gradients of the loss, and backpropagation then uses them to pick the learning "
        "rate. The weights stay as they were initialised; Adam just sorts the batches so the easy examples come "
        "first, which is why it converges faster than SGD."),
}
# The reference's points, one of them denied: what interviewers score about a third.
NEGATED = ("Early stopping watches the validation loss after every epoch and stops training once it has not "
           "improved for a set number of epochs, the patience. It does not reduce overfitting, though; it only "
           "saves compute. With restore_best_weights it goes back to the weights of the best epoch.")
FALSE = {WarningKind.contradiction, WarningKind.misconception, WarningKind.negated_concept}


@pytest.fixture(scope="module", params=["offline", "embedding"])
def grader(request):
    return OfflineGrader() if request.param == "offline" else EmbeddingGrader()


@pytest.mark.parametrize("question_id", sorted(FLUENT_WRONG))
def test_a_caught_false_answer_keeps_credit_only_for_what_the_reference_backs(grader, question_id):
    grade = grader.grade(GradeRequest.for_item(load_default_bank().get(question_id), FLUENT_WRONG[question_id]))
    assert {w.kind for w in grade.warnings} & FALSE, grade.warnings
    assert grade.details["supported_share"] < 0.6
    assert grade.score < 20, grade.score


def test_an_answer_with_one_point_denied_keeps_about_a_third(grader):
    grade = grader.grade(GradeRequest.for_item(load_default_bank().get("dl-nlp/q13-early-stopping"), NEGATED))
    assert grade.has_warning(WarningKind.negated_concept)
    assert grade.details["supported_share"] >= 0.6
    assert 25 <= grade.score <= 50, grade.score
