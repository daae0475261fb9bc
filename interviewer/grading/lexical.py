"""Lexical evidence: which rubric concepts an answer states (with the words that show it),
how much of the reference answer's content it shares, and the warning signals.

Both graders use it: the offline grader scores from it alone, the embedding grader folds
it in beside semantic similarity.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property

from interviewer.bank.models import Concept, Misconception, Question, Rubric
from interviewer.grading.text import (
    NEGATION_CUES,
    Token,
    content_stems,
    is_known_word,
    is_typo_of,
    negated_tokens,
    stem_weight,
    tokenize,
)

# Words of the question count this much in reference overlap: repeating the question
# shows nothing, only what the answer adds does.
QUESTION_WORD_FACTOR = 0.1
# A phrase whose words are spread over several sentences counts this much.
SCATTERED_FACTOR = 0.75
# The description is looser evidence than the label or an alias: at most "partly".
DESCRIPTION_FACTOR = 0.6
COVERED_AT = 0.75
PARTLY_AT = 0.4
MIN_COVERAGE_WEIGHT = 0.1
MAX_COVERAGE_WEIGHT = 0.7
# Quote the whole clause around the matched words when it is at most this many words.
MAX_QUOTE_WORDS = 24
# Answer words remembered per rubric with their typo resolution (bounded: memory stays flat).
TYPO_MEMO_SIZE = 50_000


@dataclass(frozen=True)
class Phrase:
    """A concept phrase ready for matching: its content stems, their words and weights."""

    text: str
    stems: tuple[str, ...]
    weights: tuple[float, ...]

    @cached_property
    def total(self) -> float:
        return sum(self.weights)

    @cached_property
    def pairs(self) -> tuple[tuple[str, float], ...]:
        return tuple(zip(self.stems, self.weights))


def _phrase(text: str, question_stems: frozenset[str]) -> Phrase | None:
    stems = tuple(dict.fromkeys(content_stems(text)))
    if not stems:
        return None
    # Within a phrase the question's own words count little ("NaNs" in "NaNs in the data" for
    # a question about NaNs), unless the phrase has nothing else.
    only_question = set(stems) <= question_stems
    return Phrase(text, stems, tuple(
        stem_weight(s) * (QUESTION_WORD_FACTOR if s in question_stems and not only_question else 1.0) for s in stems
    ))


@dataclass(frozen=True)
class PreparedConcept:
    concept: Concept
    phrases: tuple[Phrase, ...]
    description: Phrase | None
    reference_negated: bool


@dataclass(frozen=True)
class PreparedMisconception:
    misconception: Misconception
    phrases: tuple[Phrase, ...]
    negated: tuple[bool, ...]


@dataclass(frozen=True)
class PreparedRubric:
    """Everything about a question and rubric that does not depend on the answer."""

    question_stems: frozenset[str]
    reference_weights: dict[str, float]
    reference_total: float
    concepts: tuple[PreparedConcept, ...]
    misconceptions: tuple[PreparedMisconception, ...]
    vocabulary: dict[str, str]  # lowercase word -> stem, for typo matching
    known_stems: frozenset[str]
    reference_length: int
    authority: float  # share of concepts written with aliases or a description
    # answer word -> the rubric stem it is a typo of (or its own stem): the same words
    # recur across a batch, and the fuzzy comparison is the slow part of reading an answer
    typo_memo: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def coverage_weight(self) -> float:
        """How much rubric coverage counts in a score, against overlap with the reference.
        An authored rubric (aliases, descriptions) is the grading key; a bare list of
        phrases, like a rubric derived from the reference, mostly restates the reference."""
        return MIN_COVERAGE_WEIGHT + (MAX_COVERAGE_WEIGHT - MIN_COVERAGE_WEIGHT) * self.authority


def _weights(stems: list[str], question_stems: frozenset[str]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for s in stems:
        if s not in weights:
            factor = QUESTION_WORD_FACTOR if s in question_stems else 1.0
            weights[s] = stem_weight(s) * factor
    return weights


def _phrase_negated_in(tokens: list[Token], negated: list[bool], phrase: Phrase) -> bool:
    """Whether the reference ever states this phrase under a negation ("does not overfit"):
    then saying it negatively is no contradiction."""
    wanted = set(phrase.stems)
    return any(flag for token, flag in zip(tokens, negated) if token.stem in wanted)


def prepare(question: Question, rubric: Rubric) -> PreparedRubric:
    question_stems = frozenset(content_stems(question.prompt))
    reference_tokens = tokenize(question.reference_answer)
    reference_negated = negated_tokens(reference_tokens)
    reference_stems = [t.stem for t in reference_tokens if not t.stop]
    reference_weights = _weights(reference_stems, question_stems)

    concepts = []
    for concept in rubric.concepts:
        phrases = tuple(p for p in (_phrase(text, question_stems) for text in concept.phrases) if p)
        # Naming a concept with the question's own words shows nothing ("normalization" for
        # "what is batch normalization?"): such phrases count only when nothing else is left.
        phrases = tuple(p for p in phrases if not set(p.stems) <= question_stems) or phrases
        description = _phrase(concept.description, question_stems) if concept.description.strip() else None
        negated = any(
            _phrase_negated_in(reference_tokens, reference_negated, p) for p in (*phrases, description) if p
        )
        concepts.append(PreparedConcept(concept, phrases, description, negated))

    misconceptions = []
    for item in rubric.misconceptions:
        texts = [item.statement, *item.aliases]
        prepared = [(_phrase(text, question_stems), text) for text in texts]
        kept = [(p, text) for p, text in prepared if p]
        flags = []
        for _, text in kept:
            tokens = tokenize(text)
            flags.append(sum(1 for t in tokens if t.lower in NEGATION_CUES) % 2 == 1)
        misconceptions.append(PreparedMisconception(item, tuple(p for p, _ in kept), tuple(flags)))

    vocabulary: dict[str, str] = {}
    texts = [question.prompt, question.reference_answer]
    for concept in rubric.concepts:
        texts.extend([*concept.phrases, concept.description])
    for text in texts:
        for token in tokenize(text):
            if not token.stop and len(token.lower) >= 6:
                vocabulary.setdefault(token.lower, token.stem)
    known = frozenset(
        [*reference_weights, *question_stems]
        + [s for c in concepts for p in c.phrases for s in p.stems]
        + [s for c in concepts if c.description for s in c.description.stems]
    )
    return PreparedRubric(
        question_stems=question_stems,
        reference_weights=reference_weights,
        reference_total=sum(reference_weights.values()) or 1.0,
        concepts=tuple(concepts),
        misconceptions=tuple(misconceptions),
        vocabulary=vocabulary,
        known_stems=known,
        reference_length=len(reference_stems),
        authority=sum(1 for c in rubric.concepts if c.aliases or c.description.strip()) / len(rubric.concepts),
    )


class _PreparedCache:
    """Prepared rubrics by content, so a bank question is prepared once per process."""

    def __init__(self, size: int = 512) -> None:
        self._items: OrderedDict[tuple[str, str, str], PreparedRubric] = OrderedDict()
        self._by_identity: dict[tuple[int, int], tuple[Question, Rubric, PreparedRubric]] = {}
        self._size = size
        self._lock = threading.Lock()

    def get(self, question: Question, rubric: Rubric) -> PreparedRubric:
        # The same question and rubric objects come back row after row in a batch: look them
        # up by identity first (the entry holds both, so their ids cannot be reused meanwhile).
        same = self._by_identity.get((id(question), id(rubric)))
        if same is not None and same[0] is question and same[1] is rubric:
            return same[2]
        key = (question.prompt, question.reference_answer, rubric.model_dump_json())
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
        if found is None:
            found = prepare(question, rubric)
            with self._lock:
                self._items[key] = found
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        with self._lock:
            if len(self._by_identity) >= self._size:
                self._by_identity.clear()
            self._by_identity[(id(question), id(rubric))] = (question, rubric, found)
        return found


prepared_cache = _PreparedCache()


@dataclass(frozen=True)
class Answer:
    """The answer's tokens, with typos mapped onto the rubric's words."""

    text: str
    tokens: list[Token]
    stems: list[str]
    negated: list[bool]
    sentences: dict[int, list[int]]  # sentence number -> token indices
    # stem -> {sentence number: index of the stem's first token in that sentence}, in order
    first_in_sentence: dict[str, dict[int, int]]


def read_answer(text: str, prepared: PreparedRubric) -> Answer:
    tokens = tokenize(text)
    stems = []
    memo = prepared.typo_memo
    for token in tokens:
        value = token.stem
        if not token.stop and value not in prepared.known_stems:
            found = memo.get(token.lower)
            if found is None:
                found = value
                if not is_known_word(token.lower):
                    for word, word_stem in prepared.vocabulary.items():
                        if is_typo_of(token.lower, word):
                            found = word_stem
                            break
                if len(memo) < TYPO_MEMO_SIZE:
                    memo[token.lower] = found
            value = found
        stems.append(value)
    sentences: dict[int, list[int]] = {}
    first_in_sentence: dict[str, dict[int, int]] = {}
    for index, token in enumerate(tokens):
        sentences.setdefault(token.sentence, []).append(index)
        first_in_sentence.setdefault(stems[index], {}).setdefault(token.sentence, index)
    return Answer(text, tokens, stems, negated_tokens(tokens), sentences, first_in_sentence)


@dataclass(frozen=True)
class PhraseMatch:
    strength: float
    token_indices: tuple[int, ...]
    negated: bool


NO_MATCH = PhraseMatch(0.0, (), False)


def match_phrase(phrase: Phrase, answer: Answer) -> PhraseMatch:
    """The best sentence for the phrase: the share of its weight found there (the first such
    sentence on a tie), or, when more, the scattered share of its words found anywhere."""
    total = phrase.total
    places = answer.first_in_sentence
    present = [(stem_text, weight) for stem_text, weight in phrase.pairs if stem_text in places]
    if not present or total <= 0:
        return NO_MATCH
    if len(present) == 1:  # every sentence holding the word ties: the first one
        index = next(iter(places[present[0][0]].values()))
        return PhraseMatch(present[0][1] / total, (index,), answer.negated[index])
    # sentence -> [(token index, weight)] for the phrase's stems that occur in it
    hits: dict[int, list[tuple[int, float]]] = {}
    anywhere: list[tuple[int, float]] = []  # (first index in the answer, weight)
    for stem_text, weight in present:
        where = places[stem_text]
        anywhere.append((next(iter(where.values())), weight))  # sentences are in reading order
        for sentence, index in where.items():
            hits.setdefault(sentence, []).append((index, weight))
    best = NO_MATCH
    best_sentence = -1
    for sentence, found in hits.items():
        found.sort()  # sum in reading order: the same float whichever way the phrase is written
        share = sum(weight for _, weight in found) / total
        if share > best.strength or (share == best.strength and share > 0 and sentence < best_sentence):
            chosen = tuple(index for index, _ in found)
            best = PhraseMatch(share, chosen, any(answer.negated[i] for i in chosen))
            best_sentence = sentence
    anywhere.sort()
    scattered = SCATTERED_FACTOR * sum(weight for _, weight in anywhere) / total
    if scattered > best.strength:
        best = PhraseMatch(scattered, best.token_indices, best.negated)
    return best


def quote(answer: Answer, indices: tuple[int, ...]) -> str | None:
    """A verbatim span of the answer around these tokens: their clause when short, else
    just the stretch from the first to the last."""
    if not indices:
        return None
    tokens = answer.tokens
    first, last = min(indices), max(indices)
    clause_first, clause_last = first, last
    while clause_first > 0 and tokens[clause_first - 1].clause == tokens[first].clause:
        clause_first -= 1
    while clause_last + 1 < len(tokens) and tokens[clause_last + 1].clause == tokens[last].clause:
        clause_last += 1
    if clause_last - clause_first + 1 <= MAX_QUOTE_WORDS:
        first, last = clause_first, clause_last
    return answer.text[tokens[first].start : tokens[last].end]


@dataclass(frozen=True)
class ConceptMatch:
    prepared: PreparedConcept
    strength: float
    evidence: str | None
    negated: bool
    negated_evidence: str | None = None


def match_concept(prepared: PreparedConcept, answer: Answer) -> ConceptMatch:
    best = NO_MATCH
    for phrase in prepared.phrases:
        found = match_phrase(phrase, answer)
        if found.strength > best.strength:
            best = found
    if prepared.description is not None:
        loose = match_phrase(prepared.description, answer)
        loose_strength = DESCRIPTION_FACTOR * loose.strength
        if loose_strength > best.strength:
            best = PhraseMatch(loose_strength, loose.token_indices, loose.negated)
    evidence = quote(answer, best.token_indices) if best.strength >= PARTLY_AT else None
    # Only the answer negating what the reference affirms counts: the reverse is usually a
    # paraphrase ("only inside the function" for "not outside it").
    negated = best.strength >= PARTLY_AT and best.negated and not prepared.reference_negated
    if negated:
        return ConceptMatch(prepared, 0.0, None, True, evidence)
    return ConceptMatch(prepared, best.strength, evidence, False)


@dataclass(frozen=True)
class MisconceptionMatch:
    misconception: Misconception
    evidence: str


def match_misconceptions(prepared: PreparedRubric, answer: Answer) -> list[MisconceptionMatch]:
    """Misconceptions stated with the same polarity as written in the rubric."""
    found = []
    for item in prepared.misconceptions:
        for phrase, statement_negated in zip(item.phrases, item.negated):
            hit = match_phrase(phrase, answer)
            if hit.strength >= 0.8 and hit.token_indices:
                sentence = answer.tokens[hit.token_indices[0]].sentence
                sentence_negated = (
                    sum(
                        1
                        for t in answer.tokens
                        if t.sentence == sentence and t.lower in NEGATION_CUES
                    )
                    % 2
                    == 1
                )
                if sentence_negated == statement_negated:
                    found.append(MisconceptionMatch(item.misconception, quote(answer, hit.token_indices) or ""))
                    break
    return found


@dataclass(frozen=True)
class Overlap:
    """How the answer's content words meet the reference answer's (question words demoted)."""

    recall: float
    precision: float
    question_share: float  # share of the answer's content that repeats the question
    related_share: float  # share of the answer's content found anywhere in question/rubric/reference
    content_words: int

    @property
    def f_measure(self) -> float:
        if self.recall + self.precision == 0:
            return 0.0
        return 2 * self.recall * self.precision / (self.recall + self.precision)


def overlap(prepared: PreparedRubric, answer: Answer) -> Overlap:
    answer_weights: dict[str, float] = {}
    raw_weights: dict[str, float] = {}
    for token, s in zip(answer.tokens, answer.stems):
        if token.stop or s in answer_weights:
            continue
        raw = stem_weight(s)
        raw_weights[s] = raw
        answer_weights[s] = raw * (QUESTION_WORD_FACTOR if s in prepared.question_stems else 1.0)
    ref = prepared.reference_weights
    shared = sum(ref[s] for s in answer_weights if s in ref)
    recall = shared / prepared.reference_total
    answer_total = sum(answer_weights.values())
    precision = sum(answer_weights[s] for s in answer_weights if s in ref) / answer_total if answer_total else 0.0
    raw_total = sum(raw_weights.values())
    question_share = (
        sum(raw_weights[s] for s in raw_weights if s in prepared.question_stems) / raw_total if raw_total else 0.0
    )
    related_share = (
        sum(raw_weights[s] for s in raw_weights if s in prepared.known_stems) / raw_total if raw_total else 0.0
    )
    content_words = sum(1 for t in answer.tokens if not t.stop)
    return Overlap(min(1.0, recall), min(1.0, precision), question_share, related_share, content_words)


@dataclass
class LexicalEvidence:
    prepared: PreparedRubric
    answer: Answer
    concepts: list[ConceptMatch]
    misconceptions: list[MisconceptionMatch]
    overlap: Overlap
    extras: dict[str, float] = field(default_factory=dict)

    @property
    def coverage(self) -> float:
        """Weighted share of the rubric the answer states (concept strengths)."""
        total = sum(m.prepared.concept.weight for m in self.concepts)
        return sum(m.prepared.concept.weight * m.strength for m in self.concepts) / total if total else 0.0


def analyse(question: Question, rubric: Rubric, answer_text: str) -> LexicalEvidence:
    prepared = prepared_cache.get(question, rubric)
    answer = read_answer(answer_text, prepared)
    concepts = [match_concept(c, answer) for c in prepared.concepts]
    return LexicalEvidence(prepared, answer, concepts, match_misconceptions(prepared, answer), overlap(prepared, answer))
