"""Spoken answers (transcripts) grade like the same words typed: a transcript's punctuation is
the recogniser's guess at the pauses, where a typed colon is heard as a comma.

The transcripts here are what the packaged Whisper model wrote for espeak-ng reading the typed
text (tests/test_voice.py does the same with real audio)."""

from __future__ import annotations

import pytest

from interviewer.bank.loader import load_default_bank
from interviewer.grading.models import Grade, GradeRequest, WarningKind
from interviewer.grading.offline import OfflineGrader
from voice_support import LSTM_NOTES

LSTM_TYPED = LSTM_NOTES
LSTM_HEARD = ("an LSTM is an RNN variant designed to learn long-term dependencies through a gating mechanism, key "
              "components, Cell State, Ct, long-term memory highway light can carry information unchanged, Forget "
              "Gate, sigmoid, decides what to discard from the cell state, Input Gate, sigmoid, decides what new "
              "information to add.")


@pytest.fixture(scope="module")
def bank():
    return load_default_bank()


def grade(bank, question_id: str, answer: str, *, spoken: bool) -> Grade:
    return OfflineGrader().grade(GradeRequest.for_item(bank.get(question_id), answer, spoken=spoken))


@pytest.mark.parametrize("grader_name", ["offline", "embedding"])
def test_labels_heard_as_commas_grade_like_the_typed_labels(bank, grader_name):
    from interviewer.grading.embedding import EmbeddingGrader

    grader = OfflineGrader() if grader_name == "offline" else EmbeddingGrader()
    item = bank.get("dl-nlp/q10-lstm")
    typed, heard, heard_as_typed = grader.grade_many([
        GradeRequest.for_item(item, LSTM_TYPED), GradeRequest.for_item(item, LSTM_HEARD, spoken=True),
        GradeRequest.for_item(item, LSTM_HEARD)])
    assert heard.grader == grader_name
    assert abs(typed.score - heard.score) <= 3
    assert [c.status for c in heard.concepts] == [c.status for c in typed.concepts]
    # Typed with those commas, the same words are three terms in a row ("key components, Cell
    # State, Ct"): a typed answer's punctuation is the writer's and is read as written.
    assert heard_as_typed.score < heard.score - 5


def test_a_spoken_equals_states_a_relation_as_the_typed_sign_does(bank):
    typed = grade(bank, "dl-nlp/q15-overfitting",
                  "Evidence: Training loss decreasing = model fits training data better. Validation loss increasing "
                  "= model performs worse on unseen data. Growing gap = memorization, not generalization.",
                  spoken=False)
    heard = grade(bank, "dl-nlp/q15-overfitting",
                  "evidence, training loss decreasing equals model fits training data better, validation loss "
                  "increasing equals model performs worse on unseen data, growing gap equals memorization, not "
                  "generalization.", spoken=True)
    assert abs(typed.score - heard.score) <= 3



def test_a_typed_formula_is_one_statement_as_it_is_said_aloud(bank):
    """The spaced "-" and "/" of "(x - mean) / sqrt(...)" are operators: read as clause breaks
    they made the formula a run of terms, graded 14 points below the same words said."""
    typed = grade(bank, "dl-nlp/q5-batch-norm",
                  "Batch normalization normalizes each layer's inputs: (x - mean) / sqrt(variance + epsilon), then "
                  "scales and shifts them with learnable parameters (gamma, beta).", spoken=False)
    heard = grade(bank, "dl-nlp/q5-batch-norm",
                  "batch normalization normalizes each layer's inputs, x minus mean over square root variance plus "
                  "epsilon, then scales and shifts them with learnable parameters, gamma, beta.", spoken=True)
    assert abs(typed.score - heard.score) <= 3
    assert [c.status for c in typed.concepts] == [c.status for c in heard.concepts]

def test_terms_listed_aloud_are_still_a_list_of_terms(bank):
    heard = grade(bank, "dl-nlp/q18-repetitive-generation",
                  "key terms, greedy decoding, temperature, top-k, nucleus sampling, repetition penalty.", spoken=True)
    explained = grade(bank, "dl-nlp/q18-repetitive-generation",
                      "the cause is greedy decoding, the most probable token wins at every step, so the text loops, "
                      "sampling with a higher temperature gives more diversity.", spoken=True)
    assert heard.has_warning(WarningKind.lists_terms) and heard.score < 40
    assert not explained.has_warning(WarningKind.lists_terms) and explained.score > heard.score + 20


def test_a_spoken_grade_is_the_same_whichever_grader_path_reads_it(bank):
    """Worker processes (grade --workers) receive the spoken flag with the answer."""
    from interviewer.grading.pool import GradingPool

    request = GradeRequest.for_item(bank.get("dl-nlp/q10-lstm"), LSTM_HEARD, spoken=True)
    with GradingPool(OfflineGrader(), workers=1) as pool:
        [pooled] = pool.result(pool.submit([request]), [request])
    assert not isinstance(pooled, str)
    assert pooled.score == OfflineGrader().grade(request).score
