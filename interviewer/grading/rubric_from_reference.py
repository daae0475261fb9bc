"""A rubric derived from a reference answer, for questions that come without one.

The reference is cut into content-word chunks (runs of non-stop words that do not cross
punctuation, at most three words long); each distinct chunk becomes a concept whose label is
the chunk as written and whose weight is its salience: the summed rarity of its words, with
the question's own words left out (they end a chunk: repeating the question shows nothing).
The most salient `MAX_CONCEPTS` are kept, in reference order.
"""

from __future__ import annotations

from interviewer.bank.models import Concept, Question, Rubric
from interviewer.grading.lexical import QUESTION_WORD_FACTOR
from interviewer.grading.text import Token, content_stems, stem_weight, tokenize

MAX_CHUNK_WORDS = 3
MAX_CONCEPTS = 10
# Concept weights are the summed word rarity scaled into the rubric's 0-10 range.
_WEIGHT_SCALE = 4.0


def _usable(token: Token) -> bool:
    return not token.stop and len(token.lower) >= 3 and token.lower.isalpha()


def _chunks(tokens: list[Token], question_stems: set[str]) -> list[list[Token]]:
    """Runs of content words; stop words, punctuation and the question's own words end a run
    (a concept is what the answer must add to the question)."""
    chunks: list[list[Token]] = []
    current: list[Token] = []
    for token in tokens:
        usable = _usable(token) and token.stem not in question_stems
        if current and (not usable or token.clause != current[-1].clause or len(current) == MAX_CHUNK_WORDS):
            chunks.append(current)
            current = []
        if usable:
            current.append(token)
    if current:
        chunks.append(current)
    return chunks


def derive_rubric(question: Question) -> Rubric:
    """The concepts of `question.reference_answer`, weighted by salience."""
    question_stems = set(content_stems(question.prompt))
    text = question.reference_answer
    candidates: dict[tuple[str, ...], tuple[int, str, float]] = {}
    tokens = tokenize(text)
    chunks = _chunks(tokens, question_stems) or _chunks(tokens, set())
    for chunk in chunks:
        key = tuple(token.stem for token in chunk)
        if key in candidates:
            continue
        salience = sum(
            stem_weight(s) * (QUESTION_WORD_FACTOR if s in question_stems else 1.0) for s in dict.fromkeys(key)
        )
        label = text[chunk[0].start : chunk[-1].end]
        candidates[key] = (chunk[0].start, label, salience)
    chosen = candidates
    if not chosen:
        label = " ".join(question.reference_answer.split()[:6]) or question.prompt
        return Rubric(question_id=question.id, concepts=[Concept(label=label)])
    top = sorted(chosen.values(), key=lambda item: (-item[2], item[0]))[:MAX_CONCEPTS]
    concepts = [
        Concept(label=label, weight=round(min(10.0, max(0.1, salience / _WEIGHT_SCALE)), 3))
        for _, label, salience in sorted(top, key=lambda item: item[0])
    ]
    return Rubric(question_id=question.id, concepts=concepts)
