"""The field an answer is told apart in: the questions of the shipped banks.

An answer that fits another question of the field far better than the one asked is an
answer to that other question, however much vocabulary it shares with this one ("dense",
"weights", "training"). Both graders measure the fit the same way for every question (by
rarity-weighted words offline, by meaning with the embedding model) and keep less of the
score the further the asked question falls behind the best other one. Questions on the asked
one's topic do not count as others. Only the shipped banks count, so a grade never depends on
which other banks are loaded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from interviewer.bank.models import BankQuestion, Question, Rubric
from interviewer.grading.text import content_stems, stem_weight

# How far behind another question the asked one may fall, by the cosine of rarity-weighted
# words (the answer's against a question's prompt, reference and rubric), before the score is
# cut (all of it at the second). On the probe benchmark correct answers fall at most 0.16
# behind (to a neighbouring question: one-hot encoding for word embeddings), on Mohler 0.15,
# answers to other questions up to 0.46.
WORDS_BEHIND_FROM = 0.20
WORDS_BEHIND_TO = 0.40
# A few words are too little to tell which question they answer ("several", "at the root").
MIN_WORDS_TO_PLACE = 6
# A field question whose own words have at least this cosine with the asked question's is on
# the same topic (a bank's "Explain dropout." beside the shipped dropout question), not another
# question. 25 of the 595 pairs of shipped questions reach it, all neighbouring topics (class
# imbalance and weighted loss: 0.58, autoencoders and their latent space: 0.30).
SAME_TOPIC_WORDS = 0.25


@lru_cache(maxsize=1)
def field_items() -> tuple[BankQuestion, ...]:
    """Every shipped bank question (empty if the shipped banks cannot be read)."""
    from interviewer.bank.loader import load_bank, shipped_question_files

    try:
        return tuple(load_bank(shipped_question_files()))
    except Exception:  # a damaged install: grade without this signal rather than not at all
        return ()


def share_kept(behind: float, start: float, end: float) -> float:
    """1 while the asked question is less than `start` behind the best other one, 0 from
    `end` on, linear between."""
    return min(1.0, max(0.0, (end - behind) / (end - start)))


def topic_weights(question: Question, rubric: Rubric) -> dict[str, float]:
    """A question's words (prompt, reference answer, rubric), each by its rarity."""
    texts = [question.prompt, question.reference_answer]
    for concept in rubric.concepts:
        texts.extend([*concept.phrases, concept.description])
    return {stem: stem_weight(stem) for text in texts if text.strip() for stem in content_stems(text)}


def word_cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    norm = math.sqrt(sum(w * w for w in a.values()) * sum(w * w for w in b.values()))
    return sum(w * b[s] for s, w in a.items() if s in b) / norm if norm else 0.0


@dataclass(frozen=True)
class _WordIndex:
    prompts: tuple[str, ...]
    norms: tuple[float, ...]
    postings: Mapping[str, tuple[tuple[int, float], ...]]  # stem -> (field question, its weight there)


@lru_cache(maxsize=1)
def _word_index() -> _WordIndex:
    postings: dict[str, list[tuple[int, float]]] = {}
    items = field_items()
    norms = []
    for index, weights in enumerate(_field_topic_weights()):
        norms.append(math.sqrt(sum(w * w for w in weights.values())))
        for stem, weight in weights.items():
            postings.setdefault(stem, []).append((index, weight))
    return _WordIndex(tuple(item.question.prompt for item in items), tuple(norms),
                      {stem: tuple(found) for stem, found in postings.items()})


def same_topic(asked: Mapping[str, float]) -> frozenset[int]:
    """The field questions on the topic of the asked one (`asked`: its topic_weights)."""
    return frozenset(i for i, theirs in enumerate(_field_topic_weights())
                     if word_cosine(asked, theirs) >= SAME_TOPIC_WORDS)


@lru_cache(maxsize=1)
def _field_topic_weights() -> tuple[dict[str, float], ...]:
    return tuple(topic_weights(item.question, item.rubric) for item in field_items())


def closest_other_by_words(weights: Mapping[str, float], same: frozenset[int]) -> tuple[str, float] | None:
    """The field question, other than those on the asked question's topic (`same`), whose
    words have the highest cosine with the answer's (`weights`: stem -> rarity weight), and
    that cosine."""
    index = _word_index()
    norm = math.sqrt(sum(w * w for w in weights.values()))
    if not index.prompts or norm <= 0:
        return None
    dots = [0.0] * len(index.prompts)
    postings, norms = index.postings, index.norms
    for stem, weight in weights.items():
        for found, theirs in postings.get(stem, ()):
            dots[found] += weight * theirs
    best, best_fit = None, 0.0  # the first of the best fits, as max() would pick it
    for i, dot in enumerate(dots):
        if i in same:
            continue
        fit = dot / (norm * norms[i]) if norms[i] else 0.0
        if best is None or fit > best_fit:
            best, best_fit = i, fit
    return None if best is None else (index.prompts[best], best_fit)
