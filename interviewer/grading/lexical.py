"""Lexical evidence: which rubric concepts an answer states (with the words that show it),
how much of the reference answer's content it shares, and the warning signals.

Both graders use it: the offline grader scores from it alone, the embedding grader folds
it in beside semantic similarity.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from collections.abc import Sequence
from functools import cached_property

from interviewer.bank.models import Concept, Misconception, Question, Rubric
from interviewer.grading.claims import (
    Contradiction,
    Fact,
    RubricWords,
    check_claims,
    claim_anchors,
    clauses_of,
    supported_share,
    facts_of,
    is_lowering,
    list_tokens,
    set_aside_tokens,
    rubric_words,
    speaks_of_preventing,
)
from interviewer.grading.field import same_topic, topic_weights
from interviewer.grading.text import (
    NEGATION_CUES,
    Token,
    content_stems,
    is_known_word,
    is_typo_of,
    negated_tokens,
    negation_scope,
    stem_weight,
    tokenize,
)

# Words of the question count this much in reference overlap: repeating the question
# shows nothing, only what the answer adds does.
QUESTION_WORD_FACTOR = 0.1
# A phrase whose words are spread over several sentences counts this much.
SCATTERED_FACTOR = 0.75
# The description and the restatements are looser evidence than the label or an alias: at most "partly".
DESCRIPTION_FACTOR = 0.6
COVERED_AT = 0.75
PARTLY_AT = 0.4
# (subject forms only: "replace them with compact vectors" says nothing of what "them" is)
_SUBJECT_PRONOUNS = frozenset("it it's this they these".split())
# Rubrics with at least this share of concepts written as statements get the wide negation scope.
WIDE_NEGATION_AUTHORITY = 0.5
MIN_COVERAGE_WEIGHT = 0.1
MAX_COVERAGE_WEIGHT = 0.7
# A concept named only inside a list of terms earns this share of its strength.
LIST_CREDIT = 0.3
# A reference answer with at least this share of statements expects an explained answer.
REFERENCE_EXPLAINS_AT = 0.5
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
    # per phrase (then the description): whether it may be said negatively, because the
    # reference states it so, it carries a negation itself ("data not normalized"), or the
    # concept is put as preventing something ("prevents overfitting")
    may_be_negated: tuple[bool, ...]
    # put as preventing something ("prevents co-adaptation"): denying the prevention denies it
    prevents: bool = False
    # the concept in plain words: loose evidence, like the description
    restatements: tuple[Phrase, ...] = ()
    restatements_negatable: tuple[bool, ...] = ()


@dataclass(frozen=True)
class PreparedMisconception:
    misconception: Misconception
    phrases: tuple[Phrase, ...]
    negated: tuple[bool, ...]
    # per phrase: the stems that make it wrong (none of the reference or concepts uses them),
    # and the phrase's own word stems in order (matched contiguously when it has none)
    distinct: tuple[frozenset[str], ...] = ()
    sequences: tuple[tuple[str, ...], ...] = ()


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
    facts: tuple[Fact, ...] = ()  # reference sentences and concept descriptions, for claim checks
    fact_anchors: frozenset[str] | None = None  # claim_anchors(facts)
    words: RubricWords = RubricWords()  # what its texts tell about words notes may open with
    reference_explained: float = 1.0  # how much of the reference answer is statements, not lists
    # Concepts written as statements (aliases, descriptions) say what they assert, so a
    # negation denies them as far as it reaches; a derived rubric's bare word runs only by
    # the word a negation governs.
    wide_negation: bool = False
    topic_weights: dict[str, float] = field(default_factory=dict)  # the question's words, for telling it from others
    same_topic: frozenset[int] = frozenset()  # the field questions on its topic (interviewer.grading.field)

    @property
    def expects_explanation(self) -> float:
        """How much the rubric expects statements rather than a list of terms. An authored
        rubric describes its concepts as statements, a derived one cannot tell "explain" from
        "name the stages"; and a model answer written mostly as a list (an experiment plan)
        invites one."""
        return self.authority * min(1.0, self.reference_explained / REFERENCE_EXPLAINS_AT)

    @property
    def list_credit(self) -> float:
        """The share of a concept's strength earned when it is only named in a list of terms."""
        return 1.0 - self.expects_explanation * (1.0 - LIST_CREDIT)
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


def _phrase_negated_in(tokens: list[Token], negated: Sequence[bool], phrase: Phrase) -> bool:
    """Whether the reference ever states this phrase under a negation ("does not overfit"):
    then saying it negatively is no contradiction."""
    wanted = set(phrase.stems)
    return any(flag for token, flag in zip(tokens, negated) if token.stem in wanted)


def prepare(question: Question, rubric: Rubric) -> PreparedRubric:
    topic = topic_weights(question, rubric)
    question_stems = frozenset(content_stems(question.prompt))
    reference_tokens = tokenize(question.reference_answer)
    authority = sum(1 for c in rubric.concepts if c.aliases or c.description.strip()) / len(rubric.concepts)
    wide_negation = authority >= WIDE_NEGATION_AUTHORITY
    reference_negated = (negation_scope(reference_tokens).denied if wide_negation
                         else negated_tokens(reference_tokens))
    reference_stems = [t.stem for t in reference_tokens if not t.stop]
    reference_weights = _weights(reference_stems, question_stems)

    concepts = []
    for concept in rubric.concepts:
        phrases = tuple(p for p in (_phrase(text, question_stems) for text in concept.phrases) if p)
        # Naming a concept with the question's own words shows nothing ("normalization" for
        # "what is batch normalization?"): such phrases count only when nothing else is left.
        phrases = tuple(p for p in phrases if not set(p.stems) <= question_stems) or phrases
        description = _phrase(concept.description, question_stems) if concept.description.strip() else None
        # A concept the reference states negatively, or that its own words put negatively
        # ("data not normalized") or as preventing something ("prevents overfitting"), may be
        # said negatively.
        prevents = any(speaks_of_preventing(text) for text in (*concept.phrases, concept.description))
        may_be_negated = tuple(
            prevents or _phrase_negated_in(reference_tokens, reference_negated, p)
            or any(t.lower in NEGATION_CUES for t in tokenize(p.text))
            for p in (*phrases, *([description] if description else [])))
        restatements = tuple(p for p in (_phrase(text, question_stems) for text in concept.restatements) if p)
        restatements_negatable = tuple(
            prevents or any(t.lower in NEGATION_CUES for t in tokenize(p.text)) for p in restatements)
        concepts.append(PreparedConcept(concept, phrases, description, may_be_negated, prevents,
                                        restatements, restatements_negatable))

    correct_stems = set(reference_stems) | set(question_stems)
    for concept in rubric.concepts:
        for text in (*concept.phrases, concept.description):
            correct_stems.update(content_stems(text))
    misconceptions = []
    for item in rubric.misconceptions:
        texts = [item.statement, *item.aliases]
        prepared = [(_phrase(text, question_stems), text) for text in texts]
        kept = [(p, text) for p, text in prepared if p]
        flags, distinct, sequences = [], [], []
        for phrase, text in kept:
            tokens = tokenize(text)
            flags.append(sum(1 for t in tokens if t.lower in NEGATION_CUES) % 2 == 1)
            distinct.append(frozenset(phrase.stems) - correct_stems)
            sequences.append(_sequence_words(text, tokens))
        misconceptions.append(PreparedMisconception(
            item, tuple(p for p, _ in kept), tuple(flags), tuple(distinct), tuple(sequences)))

    vocabulary: dict[str, str] = {}
    texts = [question.prompt, question.reference_answer]
    for concept in rubric.concepts:
        texts.extend([*concept.phrases, concept.description])
    for text in texts:
        for token in tokenize(text):
            if not token.stop and len(token.lower) >= 6:
                vocabulary.setdefault(token.lower, token.stem)
    facts = facts_of(question.reference_answer, [c.description for c in rubric.concepts], question_stems)
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
        authority=authority,
        wide_negation=wide_negation,
        topic_weights=topic,
        same_topic=same_topic(topic),
        facts=facts,
        fact_anchors=claim_anchors(facts),
        words=rubric_words([text for c in rubric.concepts for text in c.phrases],
                           [question.reference_answer, *(c.description for c in rubric.concepts),
                            *(text for c in rubric.concepts for text in c.phrases)]),
        reference_explained=_explained_share_of(
            reference_tokens, [t.stem for t in reference_tokens],
            list_tokens(reference_tokens, text=question.reference_answer)),
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
    negated: list[bool]  # the word a negation cue governs (what claims compare)
    denied: list[bool]  # everything a negation reaches (what concepts are denied by)
    prevention_denied: list[bool]  # what a denied prevention affirms ("doesn't stop X")
    sentences: dict[int, list[int]]  # sentence number -> token indices
    # stem -> {sentence number: index of the stem's first token in that sentence}, in order
    first_in_sentence: dict[str, dict[int, int]]
    clauses: list[list[int]]  # the token indices of each clause (list and claim checks both walk them)


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
    negated = negated_tokens(tokens)
    if prepared.wide_negation:
        denied, prevention_denied = negation_scope(tokens)
    else:
        denied, prevention_denied = negated, [False] * len(tokens)
    return Answer(text, tokens, stems, negated, denied, prevention_denied, sentences, first_in_sentence,
                  clauses_of(tokens))


def restricted(answer: Answer, excluded: frozenset[int]) -> Answer:
    """The same answer with some tokens taken out of matching (their offsets stay valid for
    quoting)."""
    if not excluded:
        return answer
    first_in_sentence: dict[str, dict[int, int]] = {}
    for index, token in enumerate(answer.tokens):
        if index not in excluded:
            first_in_sentence.setdefault(answer.stems[index], {}).setdefault(token.sentence, index)
    return Answer(answer.text, answer.tokens, answer.stems, answer.negated, answer.denied,
                  answer.prevention_denied, answer.sentences, first_in_sentence, answer.clauses)


@dataclass(frozen=True)
class PhraseMatch:
    strength: float
    token_indices: tuple[int, ...]
    negated: bool
    prevention_denied: bool = False


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
        return PhraseMatch(present[0][1] / total, (index,), answer.denied[index], answer.prevention_denied[index])
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
        # Negated when a negation reaches one of its key words, not a side word ("never
        # trains on" says nothing against "memorizing the training data").
        key = max(phrase.weights)
        keys = [i for i, w in found if w >= 0.75 * key]
        negated = any(answer.denied[i] for i in keys)
        prevention_denied = any(answer.prevention_denied[i] for i in keys)
        # the best share wins; on a tie, a sentence stating it beats one denying it, then the first
        if share > best.strength or (share == best.strength and share > 0 and (
                (best.negated or best.prevention_denied) > (negated or prevention_denied)
                or ((best.negated or best.prevention_denied) == (negated or prevention_denied)
                    and sentence < best_sentence))):
            best = PhraseMatch(share, tuple(index for index, _ in found), negated, prevention_denied)
            best_sentence = sentence
    anywhere.sort()
    scattered = SCATTERED_FACTOR * sum(weight for _, weight in anywhere) / total
    if scattered > best.strength:
        best = PhraseMatch(scattered, best.token_indices, best.negated, best.prevention_denied)
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
    error: str | None = None  # the answer's words that contradict the concept
    token_indices: tuple[int, ...] = ()


def match_concept(prepared: PreparedConcept, answer: Answer) -> ConceptMatch:
    candidates = [match_phrase(phrase, answer) for phrase in prepared.phrases]
    if prepared.description is not None:
        loose = match_phrase(prepared.description, answer)
        candidates.append(PhraseMatch(DESCRIPTION_FACTOR * loose.strength, loose.token_indices, loose.negated,
                                      loose.prevention_denied))
    for restatement in prepared.restatements:
        loose = match_phrase(restatement, answer)
        candidates.append(PhraseMatch(DESCRIPTION_FACTOR * loose.strength, loose.token_indices, loose.negated,
                                      loose.prevention_denied))
    best, best_at = NO_MATCH, -1
    for at, found in enumerate(candidates):
        if found.strength > best.strength:
            best, best_at = found, at

    def denies(found: PhraseMatch, may_be_negated: bool) -> bool:
        # Only the answer negating what the reference affirms counts: the reverse is usually a
        # paraphrase ("only inside the function" for "not outside it"). A concept put as
        # preventing something is denied by denying the prevention ("it doesn't stop neurons
        # from co-adapting", "it isn't trying to minimize the loss"), though "it doesn't
        # overfit" restates it.
        if found.strength < PARTLY_AT:
            return False
        if found.prevention_denied and prepared.prevents:
            return True
        if not found.negated:
            return False
        return not may_be_negated or (prepared.prevents and any(
            answer.denied[i] and is_lowering(answer.stems[i]) for i in found.token_indices))

    negatable = (*prepared.may_be_negated, *prepared.restatements_negatable)
    if best_at >= 0 and denies(best, negatable[best_at]):
        verdicts = [denies(found, flag) for found, flag in zip(candidates, negatable)]
        # Denied in one place, stated in another ("can't rely on a few neurons" beside "it
        # zeroes a fraction of the units"): the statement stands.
        # (a statement elsewhere, not side words of the denying clause: "can't keep the best
        # model, it just overwrites with the latest epoch" affirms no "best epoch")
        affirmed = max((f for f, no in zip(candidates, verdicts)
                        if not no and not any(answer.denied[i] for i in f.token_indices)),
                       key=lambda f: f.strength, default=NO_MATCH)
        if affirmed.strength < max(PARTLY_AT, best.strength):
            evidence = quote(answer, best.token_indices)
            return ConceptMatch(prepared, 0.0, None, True, evidence, token_indices=best.token_indices)
        best = affirmed
    evidence = quote(answer, best.token_indices) if best.strength >= PARTLY_AT else None
    return ConceptMatch(prepared, best.strength, evidence, False, token_indices=best.token_indices)


@dataclass(frozen=True)
class MisconceptionMatch:
    misconception: Misconception
    evidence: str


# Words a statement may put between the words of a misconception it asserts: "the optimizer's
# job is to compute the gradients" says "the optimizer computes the gradients".
MAX_SEQUENCE_GAP = 3


def _sequence_words(text: str, tokens: Sequence[Token]) -> tuple[str, ...]:
    """The stems a misconception must be said with, in order: its content words, and the
    function words inside a hyphenated term, which change what it names ("define-and-run" is
    not "define-by-run")."""
    def hyphened(token: Token) -> bool:
        return text[token.start - 1 : token.start] == "-" or text[token.end : token.end + 1] == "-"

    kept = tuple(t.stem for t in tokens if not t.stop or hyphened(t))
    return kept or tuple(t.stem for t in tokens)


def _contains_sequence(answer: Answer, sequence: tuple[str, ...]) -> tuple[int, ...]:
    """Token indices where the answer says these word stems in this order within one clause,
    at most MAX_SEQUENCE_GAP words apart, or ()."""
    stems, tokens = answer.stems, answer.tokens
    if not sequence:
        return ()
    for start, first in enumerate(stems):
        if first != sequence[0]:
            continue
        found, at = [start], start
        for wanted in sequence[1:]:
            nxt = next((i for i in range(at + 1, min(len(stems), at + 2 + MAX_SEQUENCE_GAP))
                        if stems[i] == wanted and tokens[i].clause == tokens[start].clause), None)
            if nxt is None:
                break
            found.append(nxt)
            at = nxt
        if len(found) == len(sequence):
            return tuple(range(found[0], found[-1] + 1))
    return ()


def match_misconceptions(prepared: PreparedRubric, answer: Answer,
                         excluded: frozenset[int] = frozenset()) -> list[MisconceptionMatch]:
    """Misconceptions the answer asserts: the misconception's words in one clause, with the
    polarity written in the rubric, including the words that make it wrong (those no part of
    the correct material uses). A misconception made only of words a correct answer also
    uses must be said in its order, its words close together in one clause (EXCLUDED: tokens
    of beliefs set aside, where no misconception is asserted)."""
    found = []
    for item in prepared.misconceptions:
        for phrase, statement_negated, distinct, sequence in zip(
            item.phrases, item.negated, item.distinct or [frozenset()] * len(item.phrases),
            item.sequences or [()] * len(item.phrases),
        ):
            if distinct:
                hit = match_phrase(phrase, answer)
                if hit.strength < 0.8 or not hit.token_indices:
                    continue
                clauses = {answer.tokens[i].clause for i in hit.token_indices}
                said = {answer.stems[i] for i in hit.token_indices}
                if len(clauses) != 1 or not distinct <= said:
                    continue
                # Its subject must be there too, by name or as a pronoun: "change the weights"
                # is no claim that backpropagation changes them.
                clause_of = next(iter(clauses))
                in_clause = [i for i, t in enumerate(answer.tokens) if t.clause == clause_of]
                unsaid = set(phrase.stems) - {answer.stems[i] for i in in_clause}
                if unsaid and not (unsaid <= prepared.question_stems
                                   and any(answer.tokens[i].lower in _SUBJECT_PRONOUNS for i in in_clause)):
                    continue
                indices = hit.token_indices
            else:
                indices = _contains_sequence(answer, sequence)
                if not indices or not excluded.isdisjoint(indices):
                    continue
            clause = answer.tokens[indices[0]].clause
            clause_negated = sum(
                1 for t in answer.tokens if t.clause == clause and t.lower in NEGATION_CUES
            ) % 2 == 1
            if clause_negated == statement_negated:
                found.append(MisconceptionMatch(item.misconception, quote(answer, indices) or ""))
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
    # the rarity weight of each distinct content stem of the answer, excluded words too, in reading order
    word_weights: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    @property
    def f_measure(self) -> float:
        if self.recall + self.precision == 0:
            return 0.0
        return 2 * self.recall * self.precision / (self.recall + self.precision)


def overlap(prepared: PreparedRubric, answer: Answer, excluded: frozenset[int] = frozenset()) -> Overlap:
    word_weights: dict[str, float] = {}
    answer_weights: dict[str, float] = {}
    raw_weights: dict[str, float] = {}
    content_words = 0
    question_stems, known_stems = prepared.question_stems, prepared.known_stems
    for index, (token, s) in enumerate(zip(answer.tokens, answer.stems)):
        if token.stop:
            continue
        content_words += 1
        raw = word_weights.get(s)
        if raw is None:
            raw = word_weights[s] = stem_weight(s)
        if s in answer_weights or index in excluded:
            continue
        raw_weights[s] = raw
        answer_weights[s] = raw * (QUESTION_WORD_FACTOR if s in question_stems else 1.0)
    ref = prepared.reference_weights
    shared = sum(ref[s] for s in answer_weights if s in ref)
    recall = shared / prepared.reference_total
    answer_total = sum(answer_weights.values())
    precision = sum(answer_weights[s] for s in answer_weights if s in ref) / answer_total if answer_total else 0.0
    raw_total = sum(raw_weights.values())
    question_share = (
        sum(raw_weights[s] for s in raw_weights if s in question_stems) / raw_total if raw_total else 0.0
    )
    related_share = (
        sum(raw_weights[s] for s in raw_weights if s in known_stems) / raw_total if raw_total else 0.0
    )
    return Overlap(min(1.0, recall), min(1.0, precision), question_share, related_share, content_words, word_weights)


@dataclass
class LexicalEvidence:
    prepared: PreparedRubric
    answer: Answer
    concepts: list[ConceptMatch]
    misconceptions: list[MisconceptionMatch]
    overlap: Overlap
    extras: dict[str, float] = field(default_factory=dict)
    listed: frozenset[int] = frozenset()  # tokens in lists of terms
    set_aside: frozenset[int] = frozenset()  # tokens of beliefs the answer sets aside
    contradictions: list[Contradiction] = field(default_factory=list)
    explained_share: float = 1.0  # content weight of the answer that sits in statements
    # content weight of its statements that speaks to a fact of the reference without contradicting it
    supported_share: float = 1.0
    # weighted share of the rubric the answer states (concept strengths), from the concepts as analysed
    coverage: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        total = sum(m.prepared.concept.weight for m in self.concepts)
        self.coverage = sum(m.prepared.concept.weight * m.strength for m in self.concepts) / total if total else 0.0

    @property
    def wrong_tokens(self) -> frozenset[int]:
        return frozenset(i for c in self.contradictions for i in c.token_indices)


def _explained_share_of(tokens: Sequence[Token], stems: Sequence[str], listed: frozenset[int]) -> float:
    """The share of a text's content weight that sits in statements rather than lists."""
    if not listed:  # (most answers: all of it)
        return 1.0
    total = listed_weight = 0.0
    for index, token in enumerate(tokens):
        if token.stop:
            continue
        weight = stem_weight(stems[index])
        total += weight
        if index in listed:
            listed_weight += weight
    return 1.0 - listed_weight / total if total else 1.0


def _contradicted_concept(prepared: PreparedRubric, found: Contradiction,
                          matches: Sequence[ConceptMatch]) -> int | None:
    """The concept a contradicting clause speaks about: the one the fact describes; for a
    sentence of the reference, the concept whose description shares the most with it,
    preferring those the clause itself names."""
    if found.fact.concept is not None:
        return found.fact.concept
    clause = set(found.token_indices)
    named = {i for i, m in enumerate(matches) if m.strength >= PARTLY_AT and clause & set(m.token_indices)}
    best, best_key = None, (False, 0.0)
    for fact in prepared.facts:
        if fact.concept is None:
            continue
        shared = sum(w for s, w in fact.statement.weights.items() if s in found.fact.statement.weights)
        key = (fact.concept in named, shared)
        if shared > 0 and key > best_key:
            best, best_key = fact.concept, key
    if best is None and named:
        best = min(named)
    return best


def analyse(question: Question, rubric: Rubric, answer_text: str, *, spoken: bool = False) -> LexicalEvidence:
    prepared = prepared_cache.get(question, rubric)
    answer = read_answer(answer_text, prepared)
    listed = list_tokens(answer.tokens, answer.stems, prepared.words, answer_text, spoken=spoken,
                         clauses=answer.clauses)
    # A belief the answer names to set aside ("a common misconception is that ...") is no claim
    # of its own: neither evidence, nor a denial, nor a contradiction or misconception.
    aside = set_aside_tokens(answer.tokens)
    unasserted = listed | aside
    claims = check_claims(answer.tokens, answer.stems, answer.negated, prepared.facts,
                          prepared.question_stems, skip=unasserted, clauses=answer.clauses,
                          sentences=answer.sentences, anchors=prepared.fact_anchors)
    contradictions = claims.contradictions
    wrong = frozenset(i for c in contradictions for i in c.token_indices)
    statements = restricted(answer, unasserted | wrong)
    concepts = [match_concept(c, statements) for c in prepared.concepts]
    if listed:
        # A concept named only in a list of terms: little credit, quoted from the list.
        loose = restricted(answer, wrong | aside)
        for index, c in enumerate(prepared.concepts):
            from_list = match_concept(c, loose)
            credit = prepared.list_credit * from_list.strength
            if not from_list.negated and credit > concepts[index].strength:
                concepts[index] = ConceptMatch(c, credit, from_list.evidence, False,
                                               token_indices=from_list.token_indices)
    if contradictions:
        named = [match_concept(c, answer) for c in prepared.concepts]
        for found in contradictions:
            error = quote(answer, found.token_indices)
            index = _contradicted_concept(prepared, found, named)
            if index is not None and concepts[index].error is None:
                concepts[index] = ConceptMatch(prepared.concepts[index], 0.0, None, False, error=error)
    misconceptions = match_misconceptions(prepared, restricted(answer, unasserted), aside)
    caught = bool(contradictions or misconceptions or any(m.negated for m in concepts))
    return LexicalEvidence(
        prepared, answer, concepts, misconceptions,
        overlap(prepared, answer, wrong), listed=listed, contradictions=contradictions,
        explained_share=_explained_share_of(answer.tokens, answer.stems, listed), set_aside=aside,
        # Only an answer caught stating something false is asked how much of it the facts back.
        supported_share=supported_share(answer.tokens, answer.stems, claims, skip=unasserted, wrong=wrong,
                                        clauses=answer.clauses) if caught else 1.0,
    )
