"""The field an answer is told apart in: the questions of the shipped banks.

An answer that fits another question of the field far better than the one asked is an
answer to that other question, however much vocabulary it shares with this one ("dense",
"weights", "training"). Both graders measure the fit the same way for every question (by
words offline, by meaning with the embedding model) and keep less of the score the further
the asked question falls behind the best other one. Only the shipped banks count, so a grade
never depends on which other banks are loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from interviewer.bank.models import BankQuestion
from interviewer.grading.text import content_stems

# How far behind another question the asked one may fall, by the share of the answer's
# rare words each question's texts hold, before the score is cut (all of it at the second).
# On the probe benchmark, correct answers fall at most 0.21 behind (to a neighbouring
# question: one-hot encoding for word embeddings), answers to other questions 0.20 to 0.91.
WORDS_BEHIND_FROM = 0.35
WORDS_BEHIND_TO = 0.60


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


@dataclass(frozen=True)
class _WordIndex:
    prompts: tuple[str, ...]
    postings: Mapping[str, tuple[int, ...]]  # stem -> field questions whose texts hold it


@lru_cache(maxsize=1)
def _word_index() -> _WordIndex:
    postings: dict[str, list[int]] = {}
    items = field_items()
    for index, item in enumerate(items):
        texts = [item.question.prompt, item.question.reference_answer]
        for concept in item.rubric.concepts:
            texts.extend([*concept.phrases, concept.description])
        for stem in {s for text in texts if text.strip() for s in content_stems(text)}:
            postings.setdefault(stem, []).append(index)
    return _WordIndex(tuple(item.question.prompt for item in items),
                      {stem: tuple(found) for stem, found in postings.items()})


def closest_other_by_words(weights: Mapping[str, float], asked_prompt: str) -> tuple[str, float] | None:
    """The field question, other than the one asked, whose texts hold the largest share of
    the answer's word weight (`weights`: stem -> rarity weight), and that share."""
    index = _word_index()
    total = sum(weights.values())
    if not index.prompts or total <= 0:
        return None
    fits = [0.0] * len(index.prompts)
    for stem, weight in weights.items():
        for found in index.postings.get(stem, ()):
            fits[found] += weight
    best = max((i for i in range(len(fits)) if index.prompts[i] != asked_prompt), key=fits.__getitem__, default=None)
    return None if best is None else (index.prompts[best], fits[best] / total)
