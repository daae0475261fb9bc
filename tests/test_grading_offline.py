"""The offline grader on shipped bank questions: what a candidate would notice in a grade."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interviewer.bank.loader import load_default_bank
from interviewer.bank.models import Level, Question
from interviewer.grading.models import ConceptStatus, GradeRequest, Verdict, WarningKind
from interviewer.grading.offline import OfflineGrader
from interviewer.grading.rubric_from_reference import derive_rubric
from interviewer.grading.select import build_grader

# question id -> (good, partial, wrong) answers, written the way candidates talk
ANSWERS = {
    "dl-nlp/q3-backpropagation": (
        "Backpropagation runs a forward pass to compute the loss, then goes backward through the layers "
        "applying the chain rule to get the gradient of the loss with respect to every weight. Each weight "
        "gets its share of the error, and gradient descent updates the weights to lower the loss.",
        "Backpropagation computes gradients of the loss so the network can adjust its weights.",
        "Backpropagation finds gradients by nudging each weight a little and measuring how the loss changes.",
    ),
    "dl-nlp/q10-lstm": (
        "An LSTM is a recurrent network with a cell state and three gates: the forget gate decides what to "
        "discard, the input gate decides what to write, and the output gate what to expose. Because the cell "
        "state is updated additively, gradients can flow across many time steps, so it learns long-term "
        "dependencies.",
        "An LSTM is a kind of RNN that has gates to control memory.",
        "An LSTM is a convolutional layer that makes images smaller.",
    ),
    "dl-nlp/q14-dropout": (
        "Dropout is a regularization technique: during training each neuron is randomly set to zero with "
        "probability p, so neurons cannot co-adapt and the network trains an ensemble of thinned "
        "sub-networks. At inference all neurons are used, with activations scaled.",
        "Dropout randomly turns off some neurons while training.",
        "Dropout prunes neurons permanently to make the model smaller.",
    ),
    "dl-nlp/q5-batch-norm": (
        "Batch normalization normalizes each layer's inputs to zero mean and unit variance using the "
        "mini-batch statistics, then applies a learnable scale and shift (gamma and beta). It reduces "
        "internal covariate shift, stabilizes training, allows higher learning rates and adds a slight "
        "regularization effect.",
        "Batch norm normalizes the activations so training is faster.",
        "Batch normalization means you train on one batch only and skip the rest of the data.",
    ),
    "dl-nlp/q2-autoencoder": (
        "An autoencoder has an encoder that compresses the input into a lower-dimensional latent "
        "representation at the bottleneck, and a decoder that reconstructs the input from it; it is trained "
        "to minimise the reconstruction loss and is used for denoising or anomaly detection.",
        "It has an encoder and a decoder.",
        "An autoencoder is a supervised classifier that predicts labels for images.",
    ),
    "tf/q7-nan-causes": (
        "NaNs usually come from exploding gradients, a learning rate that is too high, data that is not "
        "normalized or contains NaN or infinite values, or a saturating activation that overflows. "
        "tf.debugging.check_numerics helps find the tensor where they first appear.",
        "Usually the learning rate is too high.",
        "NaNs happen when the GPU is too cold.",
    ),
}


@pytest.fixture(scope="module")
def bank():
    return load_default_bank()


@pytest.fixture(scope="module")
def grader():
    return OfflineGrader()


def grade(grader, bank, question_id, answer):
    return grader.grade(GradeRequest.for_item(bank.get(question_id), answer))


@pytest.mark.parametrize("question_id", sorted(ANSWERS))
def test_good_beats_partial_beats_wrong(grader, bank, question_id):
    good, partial, wrong = (grade(grader, bank, question_id, a) for a in ANSWERS[question_id])
    assert good.score > partial.score > wrong.score
    assert good.verdict in (Verdict.strong, Verdict.good)
    assert wrong.verdict is Verdict.weak
    assert len(good.covered) > len(partial.covered)
    # what is missing from the partial answer is named in its feedback
    assert partial.missing
    assert any(c.label in partial.feedback.missing for c in partial.missing)


@pytest.mark.parametrize("question_id", sorted(ANSWERS))
def test_evidence_quotes_the_answer(grader, bank, question_id):
    for answer in ANSWERS[question_id]:
        result = grade(grader, bank, question_id, answer)
        for concept in result.concepts:
            if concept.status is ConceptStatus.missing:
                assert concept.evidence is None
            else:
                assert concept.evidence and concept.evidence in answer


def test_backpropagation_concepts_are_named_with_quotes(grader, bank):
    good = grade(grader, bank, "dl-nlp/q3-backpropagation", ANSWERS["dl-nlp/q3-backpropagation"][0])
    by_label = {c.label: c for c in good.concepts}
    assert by_label["Chain Rule"].status is ConceptStatus.covered
    assert "chain rule" in by_label["Chain Rule"].evidence
    assert "Chain Rule" in good.feedback.good
    partial = grade(grader, bank, "dl-nlp/q3-backpropagation", ANSWERS["dl-nlp/q3-backpropagation"][1])
    assert {c.label: c.status for c in partial.concepts}["Chain Rule"] is ConceptStatus.missing
    assert "Chain Rule" in partial.feedback.next_step


def test_misspelt_terms_still_match(grader, bank):
    result = grade(grader, bank, "dl-nlp/q14-dropout",
                   "Dropout is a regularizaton method: neurons are randomly dropped during trainning.")
    statuses = {c.label: c.status for c in result.concepts}
    assert statuses["Regularization"] is ConceptStatus.covered
    assert statuses["Random"] is ConceptStatus.covered
    assert "regularizaton" in {c.label: c for c in result.concepts}["Regularization"].evidence


def test_negated_concept_is_missing_and_warned(grader, bank):
    answer = "Backpropagation does not use the chain rule; it just guesses new weights until the loss drops."
    result = grade(grader, bank, "dl-nlp/q3-backpropagation", answer)
    assert {c.label: c.status for c in result.concepts}["Chain Rule"] is ConceptStatus.missing
    assert result.has_warning(WarningKind.negated_concept)
    negated = [w for w in result.warnings if w.kind is WarningKind.negated_concept]
    assert "Chain Rule" in negated[0].message and "does not use the chain rule" in negated[0].message
    assert result.verdict is Verdict.weak


def test_misconception_is_called_out(grader, bank):
    answer = "Dropout prunes neurons permanently, so the trained model is smaller."
    result = grade(grader, bank, "dl-nlp/q14-dropout", answer)
    assert result.has_warning(WarningKind.misconception)
    assert "prunes neurons permanently" in next(
        w.message for w in result.warnings if w.kind is WarningKind.misconception)
    assert "misconception" in result.feedback.next_step.lower()


def test_parroting_the_question_scores_low(grader, bank):
    answer = "Backpropagation is what enables neural networks to learn; it is how neural networks learn."
    result = grade(grader, bank, "dl-nlp/q3-backpropagation", answer)
    assert result.has_warning(WarningKind.parrots_question)
    assert result.score < 30


def test_off_topic_answer(grader, bank):
    answer = "My favourite pizza has mozzarella, basil and fresh tomatoes baked in a wood oven."
    result = grade(grader, bank, "dl-nlp/q10-lstm", answer)
    assert result.has_warning(WarningKind.off_topic)
    assert result.score <= 10
    assert not result.covered


@pytest.mark.parametrize("answer", ["", "   \n "])
def test_empty_answer(grader, bank, answer):
    result = grade(grader, bank, "dl-nlp/q2-autoencoder", answer)
    assert result.score == 0
    assert result.has_warning(WarningKind.too_short)
    assert all(c.status is ConceptStatus.missing for c in result.concepts)


def test_very_short_answer_is_flagged(grader, bank):
    result = grade(grader, bank, "dl-nlp/q2-autoencoder", "Encoder.")
    assert result.has_warning(WarningKind.too_short)


def test_grade_names_grader_and_version(grader, bank):
    result = grade(grader, bank, "dl-nlp/q2-autoencoder", ANSWERS["dl-nlp/q2-autoencoder"][0])
    assert (result.grader, result.grader_version) == ("offline", grader.version)
    assert 0 <= result.reference_similarity <= 1
    assert result.follow_up is None or result.follow_up.endswith("?")


def test_grade_many_matches_grade(grader, bank):
    requests = [GradeRequest.for_item(bank.get(q), a) for q, answers in ANSWERS.items() for a in answers]
    assert grader.grade_many(requests) == [grader.grade(r) for r in requests]


_DETERMINISM_SCRIPT = """
import json, sys
from interviewer.bank.loader import load_default_bank
from interviewer.grading.models import GradeRequest
from interviewer.grading.offline import OfflineGrader
bank = load_default_bank()
answers = json.loads(sys.stdin.read())
print(json.dumps([OfflineGrader().grade(GradeRequest.for_item(bank.get(q), a)).model_dump_json()
                  for q, a in answers]))
"""


def test_same_grade_byte_for_byte_across_processes(grader, bank):
    answers = [(q, a) for q, trio in sorted(ANSWERS.items()) for a in trio]
    here = [grader.grade(GradeRequest.for_item(bank.get(q), a)).model_dump_json() for q, a in answers]
    assert here == [grader.grade(GradeRequest.for_item(bank.get(q), a)).model_dump_json() for q, a in answers]
    fresh = subprocess.run(
        [sys.executable, "-c", _DETERMINISM_SCRIPT], input=json.dumps(answers), capture_output=True,
        text=True, check=True, env={**__import__("os").environ, "PYTHONHASHSEED": "12345"},
    )
    assert json.loads(fresh.stdout) == here


_words = st.sampled_from(
    "the chain rule gradient gradients backward pass weights updated error loss not never no "
    "Backpropogation, layer. dL/dw = dL/da; (forward) – é 日本 \n - * 1.5".split(" ")
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(_words, st.text(max_size=12)), max_size=40), st.sampled_from([" ", "", "  ", "\n"]))
def test_evidence_is_always_a_verbatim_span(grader, bank, pieces, joiner):
    answer = joiner.join(pieces)
    result = grade(grader, bank, "dl-nlp/q3-backpropagation", answer)
    assert 0 <= result.score <= 100
    for concept in result.concepts:
        if concept.evidence is not None:
            assert concept.evidence in answer


def test_rubric_derived_from_a_reference_answer():
    question = Question(
        id="eval/lifo", level=Level.beginner, prompt="What does LIFO mean for a stack?",
        reference_answer="LIFO means last in, first out: the element pushed most recently onto the stack "
        "is the first one popped off.",
    )
    rubric = derive_rubric(question)
    labels = [c.label for c in rubric.concepts]
    assert all(label in question.reference_answer for label in labels)
    # the question's own words never make a concept on their own
    assert not any(label.lower() in {"stack", "lifo", "mean"} for label in labels)
    assert "popped" in " ".join(labels)
    good = OfflineGrader().grade(GradeRequest(question, rubric, "Last in, first out: the most recently "
                                              "pushed element is popped first."))
    parrot = OfflineGrader().grade(GradeRequest(question, rubric, "LIFO means LIFO for a stack."))
    assert good.score > 60 > parrot.score


def test_auto_does_not_load_the_model_when_choosing():
    script = (
        "import sys\nfrom interviewer.grading.select import build_grader\n"
        "notes = []\ngrader = build_grader('auto', notify=notes.append)\n"
        "print(grader.name, len(notes), 'sentence_transformers' in sys.modules, 'torch' in sys.modules)\n"
        "print(notes[0])"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    first, note = out.stdout.splitlines()
    assert first == "embedding 1 False False"
    assert "embedding" in note


def test_offline_choice_and_unknown_choice():
    notes: list[str] = []
    assert build_grader("offline", notify=notes.append).name == "offline"
    assert len(notes) == 1
    from interviewer.errors import InterviewerError

    with pytest.raises(InterviewerError):
        build_grader("oracle")


def test_shipped_word_weights_match_the_stemmer():
    """The packaged stem weights are derived data: they must equal a fresh derivation, or
    rare-word weights silently drift from what the stemmer produces."""
    from interviewer.grading import text

    shipped = text._background_stems()
    assert shipped == text.compute_background_stems(), (
        "interviewer/grading/data/english_zipf_stems.txt is stale: regenerate it with write_background_stems"
    )
    assert text.stem_weight(text.word_stem("the")) < 1.0 < text.stem_weight(text.word_stem("backpropagation"))
