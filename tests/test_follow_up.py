"""Follow-up questions: the rubric's own when it has one, otherwise built from the concept's
label; never a description turned into a question, and always a sentence a person would say."""

from __future__ import annotations

import re

import pytest

from interviewer.bank import load_default_bank
from interviewer.bank.models import Concept
from interviewer.grading.follow_up import follow_up_question
from interviewer.grading.models import ConceptStatus

MISSING, PARTLY = ConceptStatus.missing, ConceptStatus.partly
SHIPPED = [(item.id, concept) for item in load_default_bank() for concept in item.rubric.concepts]


def test_a_generated_question_names_the_concept_in_a_sentence():
    gate = Concept(label="Forget Gate", description="The forget gate decides what to discard.")
    gradients = Concept(label="Large gradients", description="Exploding gradients overflow into NaN.")
    tool = Concept(label="tf.debugging.check_numerics", description="It finds the first NaN.")
    assert follow_up_question(gate, MISSING) == "You didn't mention the forget gate. What role does it play here?"
    assert follow_up_question(gate, PARTLY) == (
        "You only touched on the forget gate. Can you say more: what does it do here, and why does it matter?")
    assert follow_up_question(gradients, MISSING) == "You didn't mention large gradients. What role do they play here?"
    assert follow_up_question(tool, MISSING).startswith("You didn't mention tf.debugging.check_numerics. ")


def test_an_authored_question_is_asked_as_written_and_a_contradiction_is_put_to_the_candidate():
    concept = Concept(label="Random", description="It randomly zeroes a fraction of the neurons.",
                      follow_up="Which neurons does dropout drop, and how many?")
    assert follow_up_question(concept, MISSING) == "Which neurons does dropout drop, and how many?"
    assert follow_up_question(concept, PARTLY) == "Which neurons does dropout drop, and how many?"
    assert follow_up_question(concept, MISSING, said="Dropout removes the weakest neurons for good.") == (
        'You said "Dropout removes the weakest neurons for good". Are you sure about that? '
        "Which neurons does dropout drop, and how many?")
    long_said = 'The "forget" gate ' + "multiplies the cell state by tanh of the input at every step " * 3
    quoted = follow_up_question(concept, MISSING, said=long_said)
    assert quoted.startswith("You said \"The 'forget' gate multiplies") and quoted.count('"') == 2
    assert "…\". Are you sure about that?" in quoted
    plain = Concept(label="Forget gate", description="The forget gate decides what to discard.")
    assert follow_up_question(plain, MISSING, said="the forget gate uses tanh") == (
        'You said "the forget gate uses tanh". Are you sure about that? What role does the forget gate play here?')


# A capitalized word inside a sentence must be a name (TensorFlow, OOV, H5), never a label's
# capital carried over ("You didn't mention Remedies: …").
_SENTENCE_START = re.compile(r"(?:^|[.?!]\s+|\")(\w)")


def _reads_as_a_question(text: str) -> list[str]:
    problems = []
    if not text[:1].isupper():
        problems.append("does not start with a capital")
    if not text.endswith("?"):
        problems.append("does not end with '?'")
    if re.search(r"\bwhy\b.*\b(means|is|are)\b", text, re.IGNORECASE) and "explain why" in text.lower():
        problems.append("turns a statement into a why-question")
    if re.search(r"\b(\w+) \1\b", text, re.IGNORECASE):
        problems.append("repeats a word")
    starts = {m.start(1) for m in _SENTENCE_START.finditer(text)}
    for m in re.finditer(r"\b[A-Z]\w*(?:[.-]\w+)*", text):
        word = m.group(0)
        if m.start() not in starts and not re.search(r".[A-Z0-9_.]", word):
            problems.append(f"capitalized word inside a sentence: {word!r}")
    if ":" in text.split("?")[0].split(".")[0]:
        problems.append("a label with a colon pasted into the sentence")
    return problems


@pytest.mark.parametrize("status", [MISSING, PARTLY])
def test_every_shipped_concept_without_its_own_question_gets_a_readable_one(status):
    generated = [(qid, c) for qid, c in SHIPPED if not c.follow_up]
    assert generated, "every shipped concept has its own question: nothing generated to check"
    bad = {}
    for question_id, concept in generated:
        text = follow_up_question(concept, status)
        problems = _reads_as_a_question(text)
        if concept.description.strip(" .").lower() in text.lower():
            problems.append("recites the description")
        if problems:
            bad[f"{question_id} / {concept.label}"] = (text, problems)
    assert bad == {}


def test_every_authored_shipped_question_is_a_question_that_gives_nothing_away():
    authored = [(qid, c) for qid, c in SHIPPED if c.follow_up]
    assert len(authored) >= 100
    bad = {}
    for question_id, concept in authored:
        problems = [p for p in _reads_as_a_question(concept.follow_up) if not p.startswith("capitalized")]
        if concept.description.strip(" .").lower() in concept.follow_up.lower():
            problems.append("recites the description")
        if problems:
            bad[f"{question_id} / {concept.label}"] = (concept.follow_up, problems)
    assert bad == {}
