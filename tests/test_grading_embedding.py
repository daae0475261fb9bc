"""The embedding grader with the real packaged model (loaded once for the whole file)."""

from __future__ import annotations

import sqlite3

import pytest

from interviewer.bank.loader import load_default_bank
from interviewer.errors import InterviewerError
from interviewer.grading.embedding import EmbeddingGrader
from interviewer.grading.embedding_cache import CACHE_FILE
from interviewer.grading.models import ConceptStatus, GradeRequest, Verdict, WarningKind
from interviewer.grading.offline import OfflineGrader
from interviewer.paths import cache_dir
from tests.test_grading_offline import ANSWERS

pytestmark = pytest.mark.embedding


@pytest.fixture(scope="session")
def embedding_grader():
    grader = EmbeddingGrader()
    grader.warm_up()
    return grader


@pytest.fixture(scope="module")
def bank():
    return load_default_bank()


@pytest.fixture(scope="module")
def graded(embedding_grader, bank, tmp_path_factory):
    """Every hand-written answer graded in one batch."""
    requests = [GradeRequest.for_item(bank.get(q), a) for q, trio in ANSWERS.items() for a in trio]
    grades = embedding_grader.grade_many(requests)
    return {(r.question.id, r.answer): g for r, g in zip(requests, grades)}


@pytest.mark.parametrize("question_id", sorted(ANSWERS))
def test_good_beats_partial_beats_wrong(graded, question_id):
    good, partial, wrong = (graded[(question_id, a)] for a in ANSWERS[question_id])
    assert good.score > partial.score > wrong.score
    assert good.verdict in (Verdict.strong, Verdict.good)
    assert wrong.verdict is Verdict.weak
    assert len(good.covered) > len(partial.covered)
    assert good.grader == "embedding"
    for (qid, answer), result in graded.items():
        for concept in result.concepts:
            assert (concept.evidence is None) == (concept.status is ConceptStatus.missing)
            assert concept.evidence is None or concept.evidence in answer


def test_paraphrase_without_the_rubric_words_counts_partly(embedding_grader, bank):
    # "Co-adaptation" in other words: neurons stop relying on particular other neurons
    answer = ("Because units are dropped at random, neurons cannot rely on specific other neurons being "
              "present, so they pick up robust features.")
    request = GradeRequest.for_item(bank.get("dl-nlp/q14-dropout"), answer)
    semantic = {c.label: c for c in embedding_grader.grade(request).concepts}
    lexical = {c.label: c for c in OfflineGrader().grade(request).concepts}
    assert semantic["Co-adaptation"].strength > lexical["Co-adaptation"].strength
    assert semantic["Co-adaptation"].status is not ConceptStatus.missing
    assert semantic["Co-adaptation"].evidence in answer


def test_warnings(embedding_grader, bank):
    def grade(question_id, answer):
        return embedding_grader.grade(GradeRequest.for_item(bank.get(question_id), answer))

    off_topic = grade("dl-nlp/q10-lstm", "My favourite pizza has mozzarella, basil and fresh tomatoes.")
    assert off_topic.has_warning(WarningKind.off_topic) and off_topic.score <= 10
    parrot = grade("dl-nlp/q3-backpropagation",
                   "Backpropagation is what enables neural networks to learn; it is how neural networks learn.")
    assert parrot.has_warning(WarningKind.parrots_question) and parrot.score < 30
    negated = grade("dl-nlp/q3-backpropagation",
                    "Backpropagation does not use the chain rule; it just guesses new weights.")
    assert negated.has_warning(WarningKind.negated_concept)
    assert {c.label: c.status for c in negated.concepts}["Chain Rule"] is ConceptStatus.missing
    empty = grade("dl-nlp/q2-autoencoder", "")
    assert empty.score == 0 and empty.has_warning(WarningKind.too_short)


def test_batch_and_single_grades_agree(embedding_grader, bank, graded):
    question_id = "dl-nlp/q5-batch-norm"
    for answer in ANSWERS[question_id]:
        alone = embedding_grader.grade(GradeRequest.for_item(bank.get(question_id), answer))
        assert alone.score == pytest.approx(graded[(question_id, answer)].score, abs=0.5)
        assert alone.verdict == graded[(question_id, answer)].verdict


def test_rubric_vectors_are_cached_on_disk_and_a_damaged_cache_is_rebuilt(embedding_grader, bank):
    path = cache_dir() / CACHE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 50)
    request = GradeRequest.for_item(bank.get("dl-nlp/q2-autoencoder"), ANSWERS["dl-nlp/q2-autoencoder"][0])
    first = embedding_grader.grade(request)
    with sqlite3.connect(path) as db:
        stored = db.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    assert stored >= len(bank.get("dl-nlp/q2-autoencoder").rubric.concepts)
    assert embedding_grader.grade(request) == first


def test_unloadable_model_falls_back_offline_under_auto(bank, tmp_path):
    request = GradeRequest.for_item(bank.get("dl-nlp/q14-dropout"), ANSWERS["dl-nlp/q14-dropout"][0])
    missing = str(tmp_path / "no-such-model")
    fallback = EmbeddingGrader(missing, fallback=OfflineGrader()).grade(request)
    assert fallback.grader == "offline"
    assert fallback.has_warning(WarningKind.grader_fallback)
    assert fallback.score == OfflineGrader().grade(request).score
    with pytest.raises(InterviewerError, match="cannot load the embedding"):
        EmbeddingGrader(missing).grade(request)


def test_model_override_from_the_environment(monkeypatch, bank, tmp_path):
    from interviewer.grading.select import build_grader

    monkeypatch.setenv("INTERVIEWER_EMBEDDING_MODEL", str(tmp_path / "elsewhere"))
    grader = build_grader("auto")
    result = grader.grade(GradeRequest.for_item(bank.get("dl-nlp/q14-dropout"), "Dropout drops units."))
    assert result.has_warning(WarningKind.grader_fallback)
    assert "elsewhere" in next(w.message for w in result.warnings if w.kind is WarningKind.grader_fallback)
