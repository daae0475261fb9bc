"""What reads as a statement and what as a list of terms, and which statements contradict the
reference: terse notes, chains of terms, conditions and dismissals, each in its own wording,
on shipped questions (the offline grader, which shares these checks with the embedding one)."""

from __future__ import annotations

from interviewer.bank.loader import load_default_bank
from interviewer.grading.models import ConceptStatus, Grade, GradeRequest, WarningKind
from interviewer.grading.offline import OfflineGrader


def _grade(question_id: str, answer: str, *, spoken: bool = False) -> Grade:
    item = load_default_bank().get(question_id)
    return OfflineGrader().grade(GradeRequest.for_item(item, answer, spoken=spoken))


def _status(grade: Grade, label: str) -> ConceptStatus:
    return next(c.status for c in grade.concepts if c.label == label)


def test_a_spoken_note_opening_with_a_verb_the_rubric_uses_states_something():
    # Speech drops the colons of "Adam: ..., combines ...": the verb still makes it a statement,
    # although the rubric says "Adam combines both".
    answer = ("RMSprop, root mean square propagation, divides the step by a running average of squared "
              "gradients. Adam, adaptive moment estimation, combines momentum and adaptive learning rates.")
    grade = _grade("dl-nlp/q4-optimizers", answer, spoken=True)
    assert not grade.has_warning(WarningKind.lists_terms), grade.warnings
    assert _status(grade, "Adam combines both") is ConceptStatus.covered
    assert grade.score >= 50


def test_one_clause_chaining_terms_with_and_is_a_list():
    answer = "Tokens and a vocabulary and subword units and byte pair encoding and unknown words"
    grade = _grade("dl-nlp/q6-tokenization", answer)
    assert grade.has_warning(WarningKind.lists_terms), grade.warnings
    assert grade.score < 25


def test_a_chain_of_terms_whose_last_item_carries_a_qualifier_is_still_a_list():
    answer = "scalars and images and weight histograms and the embedding projector and the writer with a logdir"
    grade = _grade("dl-nlp/q1-tensorboard", answer)
    assert grade.has_warning(WarningKind.lists_terms), grade.warnings
    assert grade.score < 25


def test_a_longer_part_inside_a_chain_is_a_statement_not_a_list():
    # "... look just as unrelated as ...": the long middle part carries the sentence's verb.
    answer = ("One-hot rows are mostly zeros and waste memory, and 'cat' and 'kitten' look just as far apart "
              "as 'cat' and 'carburettor', so dense learned vectors replace them.")
    grade = _grade("dl-nlp/q7-one-hot", answer)
    assert not grade.has_warning(WarningKind.lists_terms), grade.warnings


def test_a_clause_opened_by_and_continues_the_statement_before_it():
    answer = ("TensorBoard is the visualization toolkit of TensorFlow that helps you inspect, debug, and "
              "improve the training run, with loss curves. It plots loss and accuracy while the model trains.")
    grade = _grade("dl-nlp/q1-tensorboard", answer)
    assert not grade.has_warning(WarningKind.lists_terms), grade.warnings
    assert grade.score >= 50


def test_a_plain_negation_in_the_reference_is_no_denial_of_a_term_it_names():
    # The reference says poor convergence means "the model is not training properly": saying
    # what breaks training does not name training where the reference denies it.
    answer = ("I start with the learning rate, because a bad one is what breaks training most often, then "
              "check the inputs are normalized, then try another optimizer and a different batch size.")
    grade = _grade("tf/q8-poor-convergence", answer)
    assert not grade.has_warning(WarningKind.contradiction), grade.warnings
    assert grade.score >= 60


def test_a_condition_is_not_compared_with_a_plain_statement_for_direction():
    # The reference: "If the corpus is small, use pretrained embeddings"; "it must be large".
    answer = ("First I'd look at the data. Word2Vec needs a really large corpus to pick up analogies, so if "
              "it was trained on a small dataset the vectors simply won't capture the relation.")
    grade = _grade("dl-nlp/q20-word2vec-debug", answer)
    assert not grade.has_warning(WarningKind.contradiction), grade.warnings
    assert not any(c.error for c in grade.concepts), [c for c in grade.concepts if c.error]
    assert grade.score >= 30


def test_dismissing_a_point_as_not_worth_it_denies_it():
    said = ("Check the training corpus first: it must be large and from the right domain. Then look at "
            "min_count, the vector size and the window, and compare cosine similarities of neighbours.")
    dismissed = ("The training corpus isn't worth checking. Look at min_count, the vector size and the "
                 "window, and compare cosine similarities of neighbours.")
    stated = _grade("dl-nlp/q20-word2vec-debug", said)
    denied = _grade("dl-nlp/q20-word2vec-debug", dismissed)
    assert _status(stated, "Training Data") is ConceptStatus.covered
    assert _status(denied, "Training Data") is ConceptStatus.missing
    assert denied.has_warning(WarningKind.negated_concept), denied.warnings
    assert denied.score < stated.score - 20


def test_a_statement_relating_two_quantities_is_checked_by_the_way_it_relates_them():
    # The reference: a higher temperature gives more diversity. "Lower ... less" says the same.
    right = ("The model keeps picking the likeliest token. Sampling helps: a lower temperature gives the "
             "sampler less diversity, so for varied text you sample with top-k or nucleus sampling.")
    wrong = ("The model keeps picking the likeliest token. Sampling helps: a lower temperature gives the "
             "sampler more diversity, so for varied text you sample with top-k or nucleus sampling.")
    assert not _grade("dl-nlp/q18-repetitive-generation", right).has_warning(WarningKind.contradiction)
    caught = _grade("dl-nlp/q18-repetitive-generation", wrong)
    assert caught.has_warning(WarningKind.contradiction), caught.warnings
    assert any(c.error and "more diversity" in c.error for c in caught.concepts), caught.concepts


def test_steps_given_as_commands_are_statements_not_a_list_of_terms():
    # "check", "normalize", "try", "tune": verbs the question's own texts use as verbs.
    steps = "Check the learning rate first. Normalize the inputs. Switch the optimizer. Tune the batch size."
    terms = "Learning rate, input normalization, Adam optimizer, batch size."
    commanded = _grade("tf/q8-poor-convergence", steps)
    listed = _grade("tf/q8-poor-convergence", terms)
    assert not commanded.has_warning(WarningKind.lists_terms), commanded.warnings
    assert listed.has_warning(WarningKind.lists_terms), listed.warnings
    assert commanded.score > listed.score + 20


def test_a_pronoun_speaks_of_the_subject_before_it_so_swapped_roles_are_caught():
    # The reference sets the formats against each other under their own headings
    # ("SavedModel (directory): ... TF Serving compatible").
    swapped = ("The .h5 format is what you deploy to production: it's exported as a protobuf graph that TF "
               "Serving loads directly. SavedModel is the small one, it holds only the weights in one file, "
               "so you use it for transfer learning.")
    right = ("The .h5 format is a single Keras file that is handy during development. SavedModel is a "
             "directory with the full graph and signatures: it's what TF Serving loads in production.")
    caught = _grade("dl-nlp/q25-model-saving-formats", swapped)
    fine = _grade("dl-nlp/q25-model-saving-formats", right)
    assert caught.has_warning(WarningKind.contradiction), caught.warnings
    assert not fine.has_warning(WarningKind.contradiction), fine.warnings
    assert caught.score < 30 <= fine.score


def test_patience_said_as_a_stretch_of_time_and_a_pronoun_after_a_plain_verb_are_no_false_alarms():
    # "has not improved for a few epochs" denies the improvement, not the epochs of patience; and
    # after "Training stops before the network starts memorizing ...", "it" may be any of those
    # nouns, so "it generalizes better" says nothing of training against validation.
    answer = ("Early stopping keeps an eye on the validation loss and ends the run once it has not improved "
              "for a few epochs. Training halts before the network starts memorizing the training data, so it "
              "generalizes better to unseen data.")
    grade = _grade("dl-nlp/q13-early-stopping", answer)
    wrong = [w for w in grade.warnings
             if w.kind in (WarningKind.contradiction, WarningKind.negated_concept, WarningKind.misconception)]
    assert wrong == [], wrong
    assert grade.score >= 60
