"""A belief the answer names in order to set it aside ("a common misconception is that ...",
"people often think ...", "unlike X, which ...", "differs from X") is not the candidate's claim: it draws no
misconception warning, no denial and no contradiction, with both graders and the real
packaged model, while the same belief asserted still does."""

from __future__ import annotations

import pytest

from interviewer.bank.loader import load_default_bank
from interviewer.grading.embedding import EmbeddingGrader
from interviewer.grading.models import GradeRequest, WarningKind
from interviewer.grading.offline import OfflineGrader

WRONG = (WarningKind.misconception, WarningKind.negated_concept, WarningKind.contradiction)


@pytest.fixture(scope="module")
def bank():
    return load_default_bank()


@pytest.fixture(scope="module", params=["offline", pytest.param("embedding", marks=pytest.mark.embedding)])
def grader(request):
    return OfflineGrader() if request.param == "offline" else EmbeddingGrader()


def grade(grader, bank, question_id, answer):
    return grader.grade(GradeRequest.for_item(bank.get(question_id), answer))


def wrong_warnings(result):
    return [w.message for w in result.warnings if w.kind in WRONG]


@pytest.mark.parametrize("question_id, set_aside, asserted", [
    ("dl-nlp/q4-optimizers",
     "A common misconception is that Adam needs no learning rate at all; in fact you still pick one, and "
     "Adam adapts the step for each parameter from running averages of the gradients.",
     "Adam needs no learning rate at all, and it adapts the step for each parameter from running averages "
     "of the gradients."),
    ("dl-nlp/q14-dropout",
     "People often think dropout is also applied at inference time, but it is only active during "
     "training: each step a random set of neurons is switched off, and at inference all of them are used.",
     "Dropout is also applied at inference time: each step a random set of neurons is switched off, "
     "during training and at inference alike."),
    ("dl-nlp/q14-dropout",
     "Dropout switches off a random set of neurons at every training step. Unlike DropConnect, which "
     "randomly zeroes weights, dropout zeroes whole activations, and at inference every neuron is used.",
     "Dropout randomly zeroes weights at every training step, and at inference every neuron is used."),
    ("dl-nlp/q6-tokenization",
     "Tokenization is different from stemming: it splits the text into tokens such as words or subwords "
     "and maps each to an id from the vocabulary.",
     "Tokenization means stemming: it splits the text into tokens such as words or subwords and maps each "
     "to an id from the vocabulary."),
])
def test_a_belief_set_aside_is_not_asserted(grader, bank, question_id, set_aside, asserted):
    named = grade(grader, bank, question_id, set_aside)
    said = grade(grader, bank, question_id, asserted)
    assert wrong_warnings(named) == []
    assert wrong_warnings(said), said.warnings
    assert named.score > said.score


def test_the_answer_turning_back_asserts_again(grader, bank):
    # Only what the setting aside introduces is set aside: after "but" the answer speaks for itself.
    result = grade(grader, bank, "dl-nlp/q14-dropout",
                   "Many people think it only matters during training, but dropout is applied at inference "
                   "time as well, on the same neurons.")
    assert any(w.kind is WarningKind.misconception for w in result.warnings), result.warnings


def test_only_a_relative_clause_describing_the_contrasted_thing_is_set_aside(grader, bank):
    # "Unlike batch norm, this is applied ..." speaks of dropout again: "this" opens no
    # description of batch norm.
    result = grade(grader, bank, "dl-nlp/q14-dropout",
                   "Dropout switches off random neurons while training. Unlike batch norm, this is applied at "
                   "inference time too, on the same neurons.")
    assert any(w.kind is WarningKind.misconception for w in result.warnings), result.warnings
