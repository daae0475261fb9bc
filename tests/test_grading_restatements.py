"""Concepts restated in plain words: a correct answer that never uses the rubric's terms earns
the concepts it states, one sentence on the topic is not every concept at once, and an answer
caught stating something false gets no benefit of the doubt from them. The shipped rubrics,
the real packaged model, wording of its own (not the probe benchmark's)."""

from __future__ import annotations

import re

import pytest

from interviewer.bank.loader import load_default_bank
from interviewer.bank.models import Rubric
from interviewer.grading.embedding import EmbeddingGrader
from interviewer.grading.models import ConceptStatus, GradeRequest, WarningKind
from interviewer.grading.offline import OfflineGrader

BANK = load_default_bank()

# Correct answers without the rubric's terms: the weights are "adjustable numbers", the
# vectors "a short list of numbers", the dropped neurons "silenced units".
PLAIN = {
    "tf/q4-optimizer-purpose": (
        "After each batch it takes the slopes worked out for every adjustable number in the network and nudges "
        "each number a little in the direction that makes the mistakes smaller. Some versions also remember the "
        "recent steps, or scale the step separately for each number."),
    "dl-nlp/q8-word-embeddings": (
        "Each word becomes a short list of a few hundred real numbers that is learned from lots of text, so words "
        "that show up in similar sentences end up close together and you can measure how alike two words are."),
    "dl-nlp/q14-dropout": (
        "While the network learns, every step picks a random handful of its units and silences them for that step, "
        "so no unit can count on one particular neighbour always being there. Each step is in effect a smaller "
        "network, and the finished model behaves like the average of all of them. When you use the model "
        "afterwards, every unit is kept."),
}
# One point each, in one sentence near the question's whole topic.
ONE_SENTENCE = {
    "dl-nlp/q7-one-hot": "Every word gets a long vector of zeros with a single one in it.",
    "dl-nlp/q14-dropout": "Dropout is a way to make a network do better on data it has not seen.",
}
CAUGHT_FALSE = ("dl-nlp/q13-early-stopping", (
    "Early stopping ends training as soon as the training accuracy reaches 100 percent, because then the network "
    "has learned everything in the data. It matters because it makes the model overfit more, and it keeps the "
    "weights of the last epoch, which are always the best."))


def _without_restatements(rubric: Rubric) -> Rubric:
    return rubric.model_copy(update={"concepts": [c.model_copy(update={"restatements": []}) for c in rubric.concepts]})


def _both(grader, question_id: str, answer: str):
    """The answer graded with the shipped rubric and with the same rubric stripped of its restatements."""
    item = BANK.get(question_id)
    return grader.grade_many([GradeRequest(item.question, item.rubric, answer),
                              GradeRequest(item.question, _without_restatements(item.rubric), answer)])


def test_every_shipped_concept_is_restated_without_its_terms():
    for item in BANK:
        for concept in item.rubric.concepts:
            assert 3 <= len(concept.restatements) <= 6, (item.question.id, concept.label)
            for text in concept.restatements:
                assert text.strip().endswith(".") and "\n" not in text.strip(), text
                for phrase in concept.phrases:
                    assert not re.search(rf"(?<!\w){re.escape(phrase.lower())}(?!\w)", text.lower()), (phrase, text)


def test_no_restatement_said_as_an_answer_is_warned_of_a_misconception():
    requests = [GradeRequest.for_item(item, text)
                for item in BANK for concept in item.rubric.concepts for text in concept.restatements]
    grades = OfflineGrader().grade_many(requests)
    warned = [(r.answer, g.warnings) for r, g in zip(requests, grades) if g.has_warning(WarningKind.misconception)]
    assert warned == []


@pytest.mark.embedding
@pytest.mark.parametrize("question_id", sorted(PLAIN))
def test_a_correct_answer_in_plain_words_earns_the_concepts_it_states(question_id):
    shipped, bare = _both(EmbeddingGrader(), question_id, PLAIN[question_id])
    assert shipped.grader == "embedding" and not shipped.warnings
    assert shipped.score >= bare.score + 10, (shipped.score, bare.score)
    # its words are closer to the restatements than to the reference answer's
    assert shipped.details["plain_recall"] > bare.details["soft_recall"]
    gained = [c for c, before in zip(shipped.concepts, bare.concepts)
              if c.status is not ConceptStatus.missing and before.status is ConceptStatus.missing]
    assert gained
    for concept in gained:
        assert concept.evidence and concept.evidence in PLAIN[question_id]


@pytest.mark.embedding
@pytest.mark.parametrize("question_id", sorted(ONE_SENTENCE))
def test_one_sentence_on_the_topic_is_not_every_concept_stated(question_id):
    shipped, bare = _both(EmbeddingGrader(), question_id, ONE_SENTENCE[question_id])
    gained = [c.label for c, before in zip(shipped.concepts, bare.concepts) if c.strength > before.strength + 0.05]
    assert len(gained) <= 1, gained
    assert shipped.score <= bare.score + 10


@pytest.mark.embedding
def test_an_answer_caught_stating_something_false_gets_no_credit_from_restatements():
    shipped, bare = _both(EmbeddingGrader(), *CAUGHT_FALSE)
    assert shipped.has_warning(WarningKind.contradiction)
    assert shipped.score == pytest.approx(bare.score, abs=1.0)
    assert shipped.score < 25


def test_offline_a_restatement_is_loose_evidence_at_most_partly():
    item = BANK.get("dl-nlp/q14-dropout")
    concept = next(c for c in item.rubric.concepts if c.label == "Co-adaptation")
    shipped, bare = _both(OfflineGrader(), item.question.id, concept.restatements[0])
    found = next(c for c in shipped.concepts if c.label == concept.label)
    before = next(c for c in bare.concepts if c.label == concept.label)
    assert found.status is ConceptStatus.partly and before.status is ConceptStatus.missing
    assert shipped.score > bare.score
