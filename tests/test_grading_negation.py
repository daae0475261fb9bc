"""What a negation denies, as a candidate sees it in the grade: a concept the answer denies is
never credited, and negations that deny nothing (a need, "not only", a contrast) cost nothing."""

from __future__ import annotations

import pytest

from interviewer.bank.loader import load_default_bank
from interviewer.grading.models import ConceptStatus, GradeRequest, WarningKind
from interviewer.grading.offline import OfflineGrader


@pytest.fixture(scope="module")
def bank():
    return load_default_bank()


def grade(bank, question_id, answer):
    item = bank.get(question_id)
    return OfflineGrader().grade(GradeRequest(item.question, item.rubric, answer))


def concept(result, label):
    return {c.label: c for c in result.concepts}[label]


def denied(result):
    return result.has_warning(WarningKind.negated_concept) or result.has_warning(WarningKind.contradiction)


def test_denying_the_object_of_a_light_verb_denies_the_concept(bank):
    answer = ("Backpropagation computes the gradient of the loss for each weight, but it does not rely on the "
              "chain rule: every layer's gradient is worked out on its own.")
    result = grade(bank, "dl-nlp/q3-backpropagation", answer)
    assert concept(result, "Chain Rule").status is ConceptStatus.missing
    message = next(w.message for w in result.warnings if w.kind is WarningKind.negated_concept)
    assert "does not rely on the chain rule" in message


def test_denying_a_prevention_denies_a_concept_put_as_preventing(bank):
    denying = grade(bank, "dl-nlp/q14-dropout", "Dropout randomly zeroes neurons during training. It does not "
                    "prevent the neurons from co-adapting; all it adds is noise.")
    stating = grade(bank, "dl-nlp/q14-dropout", "Dropout randomly zeroes neurons during training, which "
                    "prevents the neurons from co-adapting.")
    assert concept(denying, "Co-adaptation").status is ConceptStatus.missing and denied(denying)
    assert concept(stating, "Co-adaptation").status is not ConceptStatus.missing and not denied(stating)
    assert stating.score > denying.score + 15


def test_saying_something_does_not_matter_denies_its_subject(bank):
    answer = ("NaN losses come from exploding gradients when the learning rate is too high. "
              "Poorly scaled inputs do not matter at all, the optimizer copes with any scale.")
    result = grade(bank, "tf/q7-nan-causes", answer)
    assert concept(result, "Poorly scaled data").status is ConceptStatus.missing and denied(result)


@pytest.mark.parametrize("answer", [
    "Backpropagation not only applies the chain rule layer by layer, it also reuses each layer's gradient for "
    "the layer before it, so the gradient of the loss reaches every weight.",
    "Backpropagation applies the chain rule backwards through the layers to get the gradient of the loss for "
    "every weight; you don't have to derive those gradients yourself.",
])
def test_negations_that_deny_nothing_cost_nothing(bank, answer):
    result = grade(bank, "dl-nlp/q3-backpropagation", answer)
    assert concept(result, "Chain Rule").status is ConceptStatus.covered
    assert not denied(result)


def test_affirming_what_the_reference_denies_is_shown_as_an_error(bank):
    answer = ("One-hot encoding turns each word into a vector as long as the vocabulary with a single 1. "
              "These vectors do capture semantic similarity between related words.")
    result = grade(bank, "dl-nlp/q7-one-hot", answer)
    assert result.has_warning(WarningKind.contradiction)
    errors = [c for c in result.concepts if c.error]
    assert errors and "capture semantic similarity" in errors[0].error


def test_describing_the_alternative_a_method_avoids_is_no_contradiction(bank):
    answer = ("Without weights the loss is dominated by the majority class, so the model mostly predicts that "
              "class and basically ignores the rare one. A weighted loss gives each minority example a larger "
              "weight, so mistakes on it cost more and the model learns the minority class.")
    result = grade(bank, "tf/q6-weighted-loss", answer)
    assert not denied(result)


def test_a_misconception_needs_its_subject_said_or_referred_to(bank):
    """ "change the weights" is no claim that backpropagation changes them."""
    no_claim = grade(bank, "tf/q3-backprop-in-tf", "Backpropagation computes the gradient of the loss for every "
                     "weight. Those gradients tell you which direction to change the weights in.")
    named = grade(bank, "tf/q3-backprop-in-tf", "Backpropagation computes the gradient of the loss for every "
                  "weight. After that, backpropagation changes the weights itself.")
    referred = grade(bank, "tf/q3-backprop-in-tf", "Backpropagation computes the gradient of the loss for every "
                     "weight. Then it changes the weights itself.")
    assert not no_claim.has_warning(WarningKind.misconception)
    assert named.has_warning(WarningKind.misconception) and referred.has_warning(WarningKind.misconception)
    assert no_claim.score > named.score


def test_labels_and_relation_signs_are_not_lists_of_terms(bank):
    """Typed notes ("Cause: ...", "higher temperature = more diversity") explain like sentences;
    a label in front of a list of terms does not make it an explanation."""
    noted = grade(bank, "dl-nlp/q18-repetitive-generation",
                  "Cause: greedy decoding, the most probable token wins at every step, so the text loops. Fixes: "
                  "sampling: temperature (0.7-1.2) = more diversity; top-k: sample among the k best tokens.")
    spoken = grade(bank, "dl-nlp/q18-repetitive-generation",
                   "The cause is greedy decoding, the most probable token wins at every step, so the text loops. "
                   "The fixes are sampling, where a temperature of 0.7 to 1.2 gives more diversity, and top-k, "
                   "which samples among the k best tokens.")
    listed = grade(bank, "dl-nlp/q18-repetitive-generation",
                   "Key terms: greedy decoding, temperature, top-k, nucleus sampling, repetition penalty.")
    assert not noted.has_warning(WarningKind.lists_terms)
    assert abs(noted.score - spoken.score) <= 10
    assert listed.has_warning(WarningKind.lists_terms) and listed.score < 40


def test_terms_wrapped_in_filler_and_joined_by_and_are_still_a_list(bank):
    """ "It's about X, Y and Z, basically W stuff" names terms and says nothing about them."""
    for question_id, answer in [
        ("dl-nlp/q14-dropout", "It's about co-adaptation, random neurons and the keep probability, basically "
                               "regularization stuff."),
        ("dl-nlp/q10-lstm", "That's the forget gate, input gate and output gate, plus the cell state."),
    ]:
        result = grade(bank, question_id, answer)
        assert result.has_warning(WarningKind.lists_terms), (question_id, result.warnings)
        assert result.score < 40, (question_id, result.score)
    explained = grade(bank, "dl-nlp/q14-dropout", "It randomly zeroes neurons during training, so they cannot "
                      "co-adapt, and at inference all units are kept and scaled.")
    assert not explained.has_warning(WarningKind.lists_terms)


@pytest.mark.parametrize("question_id", [item.question.id for item in load_default_bank()])
def test_a_questions_own_reference_answer_contradicts_nothing(bank, question_id):
    """The facts of a question come from its reference answer, so the reference itself, given
    as an answer, can state nothing wrong, however it is formatted (bullets, brackets, formulas)."""
    result = grade(bank, question_id, bank.get(question_id).question.reference_answer)
    wrong = [w.message for w in result.warnings
             if w.kind in (WarningKind.contradiction, WarningKind.negated_concept, WarningKind.misconception)]
    assert not wrong and result.score >= 60, (result.score, wrong)


def test_an_aside_in_brackets_does_not_cut_the_statement_around_it(bank):
    """"A lower temperature (0.5-0.8) gives more focused text" says one thing: cut at the bracket,
    "a lower temperature" alone would read as contradicting "higher values give more diversity"."""
    bracketed = grade(bank, "dl-nlp/q18-repetitive-generation",
                      "Use temperature sampling: a lower temperature (0.5-0.8) gives more focused text, "
                      "a higher one (1.0-1.5) more diversity.")
    plain = grade(bank, "dl-nlp/q18-repetitive-generation",
                  "Use temperature sampling: a lower temperature gives more focused text, a higher one more diversity.")
    assert not denied(bracketed) and concept(bracketed, "Temperature").status is ConceptStatus.covered
    assert abs(bracketed.score - plain.score) <= 5


def test_a_subscripted_name_in_a_formula_is_one_word(bank):
    """"f_t" is the forget gate's activation: its "t" is no evidence for "o_t" (the output gate)."""
    result = grade(bank, "dl-nlp/q21-lstm-cell-math",
                   "The forget gate is f_t = sigmoid(W_f [h_{t-1}, x_t] + b_f): it decides how much of the "
                   "previous cell state to keep.")
    assert concept(result, "Forget Gate").status is ConceptStatus.covered
    assert concept(result, "Output Gate").status is not ConceptStatus.covered
    assert not result.has_warning(WarningKind.lists_terms)  # a formula is a statement, not a list of terms


@pytest.mark.parametrize(("question_id", "answer", "label"), [
    ("dl-nlp/q3-backpropagation",
     "Backprop goes from the output back to the input layer, but it doesn't compute gradients or use the chain "
     "rule; it copies the error to every layer.", "Chain Rule"),
    ("tf/q4-optimizer-purpose",
     "The optimizer updates the weights with Adam or SGD, but it isn't really trying to minimize the loss; the "
     "loss is only logged.", "Minimize the loss"),
    ("dl-nlp/q12-checkpointing",
     "ModelCheckpoint saves the weights during training, but it can't keep the best model: it overwrites them with "
     "whatever the latest epoch produced.", "Best Model"),
])
def test_a_negated_verb_denies_its_object(bank, question_id, answer, label):
    """"It doesn't compute gradients" denies computing gradients, not just the verb; and words
    of the denying clause affirm nothing elsewhere ("the latest epoch" is no "best epoch")."""
    result = grade(bank, question_id, answer)
    assert concept(result, label).status is ConceptStatus.missing and denied(result)
    assert result.score < 40


def test_naming_the_other_member_of_a_pair_is_an_error(bank):
    """"Stays fixed" where the reference says "updated at each step": the other member of a pair
    of opposites, in the field's own words, is a false statement."""
    wrong = grade(bank, "dl-nlp/q9-rnn", "An RNN processes sequential data in parallel, all time steps at once, and "
                  "its hidden state stays fixed at each step.")
    right = grade(bank, "dl-nlp/q9-rnn", "An RNN processes sequential data one time step after another, and its "
                  "hidden state is updated at each step.")
    assert wrong.has_warning(WarningKind.contradiction) and not denied(right)
    assert concept(wrong, "Hidden State").status is ConceptStatus.missing
    assert wrong.score < right.score / 2


def test_a_sentence_ending_in_a_number_ends_there(bank):
    """"... often 0.5. Inference: ..." is two sentences: read as one, "training ... inference"
    in one breath looked like naming inference where the reference says training."""
    noted = grade(bank, "dl-nlp/q14-dropout", "Training: each neuron is dropped with probability p, often 0.5. "
                  "Inference: all neurons are kept and their outputs are scaled to match.")
    assert not denied(noted)
    assert concept(noted, "All neurons at inference").status is ConceptStatus.covered
