"""Sentences as the graders read them: abbreviations inside a sentence do not end it, nor does a
formula's spaced minus or slash."""

from __future__ import annotations

import pytest

from interviewer.bank.loader import load_default_bank
from interviewer.grading.models import GradeRequest
from interviewer.grading.offline import OfflineGrader
from interviewer.grading.text import tokenize


def sentences(text: str) -> list[str]:
    """The words of each sentence of TEXT, joined."""
    grouped: dict[int, list[str]] = {}
    for token in tokenize(text):
        grouped.setdefault(token.sentence, []).append(token.text)
    return [" ".join(words) for _, words in sorted(grouped.items())]


@pytest.mark.parametrize("text, expected", [
    ("Try other optimizers (e.g. Adam vs. SGD) and a smaller rate. Then retrain.",
     ["Try other optimizers e g Adam vs SGD and a smaller rate", "Then retrain"]),
    ("It is sparse, i.e. mostly zeros. E.g. one-hot vectors. Compare cf. dense ones.",
     ["It is sparse i e mostly zeros", "E g one hot vectors", "Compare cf dense ones"]),
    ("Use version 1.5 of it. Done! Next?", ["Use version 1 5 of it", "Done", "Next"]),
])
def test_abbreviations_and_decimals_stay_inside_their_sentence(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected



def clauses(text: str) -> list[str]:
    """The words of each clause of TEXT, joined."""
    grouped: dict[tuple[int, int], list[str]] = {}
    for token in tokenize(text):
        grouped.setdefault((token.sentence, token.clause), []).append(token.text)
    return [" ".join(words) for _, words in sorted(grouped.items())]


@pytest.mark.parametrize("text, expected", [
    ("Normalize: (x - mean) / sqrt(variance + epsilon).", ["Normalize", "x mean sqrt variance epsilon"]),
    ("Outputs are scaled by 1 - p at inference.", ["Outputs are scaled by 1 p at inference"]),
    # between words a spaced dash or slash still separates
    ("Split train / val / test.", ["Split train", "val", "test"]),
    ("This is overfitting - the model memorizes - (p=0.5) - a guess.",
     ["This is overfitting", "the model memorizes", "p 0 5", "a guess"]),
])
def test_a_formulas_spaced_minus_and_slash_are_operators_not_breaks(text: str, expected: list[str]) -> None:
    assert clauses(text) == expected

def test_an_answer_giving_examples_with_e_g_grades_as_when_it_spells_them_out() -> None:
    # "(e.g. Adam vs. SGD)" once ended the sentence twice inside the brackets, and the answer lost
    # about 30 points against the same words with "for example ... versus".
    item = next(item for item in load_default_bank([]) if item.id == "tf/q8-poor-convergence")
    answer = ("I would check the learning rate, ensure proper data preprocessing, try different optimizers "
              "({eg} Adam {vs} SGD), and experiment with the model architecture ({eg} adding regularization). "
              "Poor convergence means the model is not training properly, often because of an incorrect "
              "learning rate or architecture.")
    grader = OfflineGrader()
    abbreviated = grader.grade(GradeRequest.for_item(item, answer.format(eg="e.g.", vs="vs."))).score
    spelled_out = grader.grade(GradeRequest.for_item(item, answer.format(eg="for example", vs="versus"))).score
    assert spelled_out >= 70
    assert abs(abbreviated - spelled_out) <= 3
