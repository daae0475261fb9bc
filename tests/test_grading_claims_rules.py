"""Rules of the claim checker, as a candidate sees them in the grade, with both graders
and the real packaged model:

- a misconception made only of words a correct answer also uses is caught when said in its
  order with a few words between ("the optimizer is there to calculate the gradients"), never
  when the words come in another order or far apart, and a hyphenated term keeps its function
  words ("define-and-run" is not "define-by-run");
- a statement whose direction words point both ways states no direction, so it contradicts
  nothing on direction alone;
- "instead of X" denies X only when another member of X's set of exclusive terms takes its
  place ("the final epoch instead of the best one"), not when the contrast is about something
  else ("instead of looking at all the inputs together");
- "A rather than B" contradicts a fact saying "B rather than A", even when the clause names B
  elsewhere too;
- a direction stated on a term ("enlarge the latent dimension", "the latent dimension should be
  bigger") is compared with the direction a fact states on it ("reduce latent dimension");
- a relative clause says its predicate of the subject of the clause before it ("Dropout ...,
  which increases overfitting")."""

from __future__ import annotations

import pytest

from interviewer.bank.loader import load_default_bank
from interviewer.grading.embedding import EmbeddingGrader
from interviewer.grading.models import ConceptStatus, GradeRequest, WarningKind
from interviewer.grading.offline import OfflineGrader


@pytest.fixture(scope="module")
def bank():
    return load_default_bank()


@pytest.fixture(scope="module", params=["offline", pytest.param("embedding", marks=pytest.mark.embedding)])
def grader(request):
    return OfflineGrader() if request.param == "offline" else EmbeddingGrader()


def grade(grader, bank, question_id, answer):
    return grader.grade(GradeRequest.for_item(bank.get(question_id), answer))


def concept(result, label):
    return {c.label: c for c in result.concepts}[label]


def misconceptions(result):
    return [w.message for w in result.warnings if w.kind is WarningKind.misconception]


def contradictions(result):
    return [w.message for w in result.warnings if w.kind in (WarningKind.contradiction, WarningKind.negated_concept)]


def assert_shown_as_error(right, wrong, label, quoted):
    """The correct answer covers LABEL without a contradiction; the false one draws one, shows
    LABEL missing with its QUOTED words as the error, and scores well below."""
    assert not contradictions(right), right.warnings
    assert concept(right, label).status is ConceptStatus.covered
    assert contradictions(wrong), wrong.warnings
    found = concept(wrong, label)
    assert found.status is ConceptStatus.missing and quoted in found.error
    assert right.score > wrong.score + 25, (right.score, wrong.score)


# --- a misconception made only of a correct answer's words --------------------------------

OPTIMIZER = "tf/q4-optimizer-purpose"
OPTIMIZER_RIGHT = ("The optimizer takes the gradients computed by backpropagation and uses them to update the weights "
                   "after every batch, so the loss goes down.")


@pytest.mark.parametrize(("answer", "quoted"), [
    ("The optimizer is there to calculate the gradients of the loss, and Keras then writes them into the model.",
     "The optimizer is there to calculate the gradients"),
    ("What the optimizer does is compute the gradients for every weight during training.",
     "the optimizer does is compute the gradients"),
])
def test_a_misconception_said_with_a_few_words_between_is_caught(grader, bank, answer, quoted):
    """ "The optimizer computes the gradients" uses only words a correct answer uses too: said
    in its order with up to three words between them, it is asserted all the same."""
    wrong = grade(grader, bank, OPTIMIZER, answer)
    right = grade(grader, bank, OPTIMIZER, OPTIMIZER_RIGHT)
    found = misconceptions(wrong)
    assert found and quoted in found[0], wrong.warnings
    assert not misconceptions(right), right.warnings
    assert right.score > wrong.score + 20, (right.score, wrong.score)


@pytest.mark.parametrize("answer", [
    OPTIMIZER_RIGHT,  # "optimizer ... gradients computed": the words in another order
    "The optimizer is only the part that turns already computed gradients into weight updates after every batch, "
    "which minimizes the loss.",  # "optimizer ... computed gradients": in order, but six words apart
])
def test_a_misconceptions_words_in_another_order_or_far_apart_are_no_misconception(grader, bank, answer):
    result = grade(grader, bank, OPTIMIZER, answer)
    assert not misconceptions(result), result.warnings
    assert concept(result, "Updates the weights").status is ConceptStatus.covered
    assert result.score >= 60, result.score


def test_a_hyphenated_term_keeps_its_function_words(grader, bank):
    """ "PyTorch is define-and-run" is the misconception; "PyTorch is define-by-run" is the
    reference's own point and shares every content word with it."""
    right = grade(grader, bank, "tf/q2-pytorch-research",
                  "PyTorch is define-by-run: the graph is built as the Python code executes, so you can debug it with "
                  "print statements and change the model between runs.")
    wrong = grade(grader, bank, "tf/q2-pytorch-research",
                  "PyTorch is define-and-run, so the whole graph is compiled first and only then executed.")
    assert not misconceptions(right), right.warnings
    assert concept(right, "Dynamic computation graph").status is ConceptStatus.covered
    found = misconceptions(wrong)
    assert found and "define-and-run" in found[0], wrong.warnings
    assert right.score > wrong.score + 25, (right.score, wrong.score)


# --- direction words pointing both ways ---------------------------------------------------

@pytest.mark.parametrize("answer", [
    "The latent dimension is likely too large; reduce it to a small size such as two so the codes can be plotted.",
    "Most likely the code layer is too large for the job, so I would reduce the latent dimension to a small number "
    "such as two and plot the codes directly.",
])
def test_too_large_so_reduce_it_contradicts_nothing(grader, bank, answer):
    """The reference says "Bottleneck too large ... Fix: reduce latent dimension": "too large"
    and "reduce" speak of different things, so neither that sentence nor an answer saying the
    same states one direction that the other could contradict."""
    result = grade(grader, bank, "dl-nlp/q17-autoencoder-latent", answer)
    assert not contradictions(result), result.warnings
    latent = concept(result, "Latent Dimension")
    assert latent.status is ConceptStatus.covered and not latent.error
    assert result.score >= 20, result.score  # a correct partial answer: one point of seven


# --- "instead of X" -----------------------------------------------------------------------

RNN_FULL = (
    "An RNN is a network for ordered data such as sentences, speech or stock prices. It walks through a sequence one "
    "time step at a time instead of looking at all of the inputs together, carrying a hidden state from each step to "
    "the next: h_t = f(h_{t-1}, x_t). That hidden state works as a memory of earlier inputs, and the same weights are "
    "shared across every time step. A feedforward network wants a fixed input size and remembers nothing between "
    "inputs, so temporal dependencies are out of its reach. The weak point is the vanishing gradient, which makes "
    "long-term dependencies hard to learn; LSTMs and GRUs were built for that.")


def test_instead_of_something_outside_the_set_denies_nothing(grader, bank):
    """ "Instead of looking at all of the inputs together" puts time steps in the place of
    taking everything at once: it does not deny the inputs the reference speaks of."""
    result = grade(grader, bank, "dl-nlp/q9-rnn", RNN_FULL)
    assert not contradictions(result), result.warnings
    assert not [c.label for c in result.concepts if c.error]
    assert all(c.status is ConceptStatus.covered for c in result.concepts), result.concepts
    assert result.score >= 75, result.score


EARLY_STOPPING = ("Early stopping checks the validation loss after each epoch and halts training once it has stopped "
                  "improving for a patience of a few epochs, which keeps the model from overfitting. ")


def test_instead_of_another_member_of_the_set_denies_the_term(grader, bank):
    """ "The final epoch instead of the best epoch" puts the other member of the pair in the
    best epoch's place: it denies the reference's point, and the concept shows the error."""
    wrong = grade(grader, bank, "dl-nlp/q13-early-stopping",
                  EARLY_STOPPING + "At the end you always hold the weights from the final epoch instead of the best epoch.")
    right = grade(grader, bank, "dl-nlp/q13-early-stopping",
                  EARLY_STOPPING + "With restore_best_weights it goes back to the weights of the best epoch instead of "
                  "keeping the last ones.")
    assert_shown_as_error(right, wrong, "Restore Best", "final epoch instead of the best epoch")


# --- "A rather than B" against "B rather than A" ------------------------------------------

RESTORE_BEST_CONTEXT = ("Early stopping tracks the validation loss after every epoch and ends training once it has "
                        "gone a few epochs, the patience, without improving. That keeps the network from memorizing "
                        "the training data, so it overfits less, and you save the compute of the epochs nobody needs. "
                        "When it stops, restore_best_weights makes Keras hand back ")


def test_a_contrast_with_its_roles_swapped_contradicts_the_reference(grader, bank):
    """The reference: the weights "from the best epoch rather than the last one". Saying the
    last epoch's rather than the best epoch's names both, in the same clause as the setting's
    own "best": only the order of the contrast tells the answers apart."""
    right = grade(grader, bank, "dl-nlp/q13-early-stopping",
                  RESTORE_BEST_CONTEXT + "the best epoch's weights rather than the last epoch's.")
    wrong = grade(grader, bank, "dl-nlp/q13-early-stopping",
                  RESTORE_BEST_CONTEXT + "the last epoch's weights rather than the best epoch's.")
    assert_shown_as_error(right, wrong, "Restore Best", "last epoch's weights rather than the best")


# --- a direction stated on a term -----------------------------------------------------------

LATENT_OPENING = ("A plain autoencoder is only trained to reconstruct, so sharp reconstructions say nothing about how "
                  "the codes are organised. My first suspect is a bottleneck that is too wide: with a hundred latent "
                  "units the encoder never has to compress anything, so ")
LATENT_CLOSING = (" A variational autoencoder would help too, since its KL divergence term pulls the codes toward a "
                  "normal distribution, and I'd check the result with t-SNE, colouring the points by digit to see "
                  "whether clusters form.")


@pytest.mark.parametrize(("right", "wrong", "quoted"), [
    ("the latent dimension should be smaller, two to thirty-two, or two to plot it directly.",
     "the latent dimension should be bigger, a few hundred, so the digits have room to spread out.",
     "the latent dimension should be bigger"),
    ("I'd shrink the latent dimension to two and plot the codes directly.",
     "I'd enlarge the latent dimension to a few hundred so the digits have room to spread out.",
     "enlarge the latent dimension"),
])
def test_a_direction_stated_on_the_references_term_is_compared_with_its_own(grader, bank, right, wrong, quoted):
    """The reference's fix: "Reduce latent dimension". "The latent dimension should be bigger"
    and "enlarge the latent dimension" state the other direction on the same two words, too few
    and too common (one is the question's own) to align the clause with the fact by weight."""
    fine = grade(grader, bank, "dl-nlp/q17-autoencoder-latent", LATENT_OPENING + right + LATENT_CLOSING)
    caught = grade(grader, bank, "dl-nlp/q17-autoencoder-latent", LATENT_OPENING + wrong + LATENT_CLOSING)
    assert_shown_as_error(fine, caught, "Latent Dimension", quoted)


# --- a relative clause continues the statement before it ------------------------------------

DROPOUT_RIGHT = (
    "Dropout switches off a random fraction of the neurons at every training step, which reduces overfitting. Each "
    "neuron is dropped with a probability p, often 0.5, so no unit can count on any particular other unit; this breaks "
    "co-adaptation and the network learns redundant features. Every step effectively trains a different thinned "
    "sub-network, so the result behaves like an ensemble of many networks. At inference dropout is off, all neurons "
    "are used, and the activations are scaled so their expected value matches training.")


def test_a_relative_clause_says_its_predicate_of_the_subject_before_it(grader, bank):
    """ "..., which increases overfitting" says of dropout, the subject of the clause before it,
    the reverse of the reference's "dropout ... reduces overfitting"; on its own the clause names
    only a word of the question."""
    fine = grade(grader, bank, "dl-nlp/q14-dropout", DROPOUT_RIGHT)
    caught = grade(grader, bank, "dl-nlp/q14-dropout",
                   DROPOUT_RIGHT.replace("which reduces overfitting", "which increases overfitting"))
    assert_shown_as_error(fine, caught, "Regularization", "which increases overfitting")
