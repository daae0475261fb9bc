"""What an answer asserts: which of its parts are statements (rather than a list of terms),
and which statements contradict the reference answer or a concept's description.

Deterministic and model-free, so both graders share it. The checks are lexical:

- **Term lists.** A clause of at most four words with no function word that could carry a
  predicate ("forget gate", "probability p") says nothing about its terms. Such a clause is
  a list item when it stands in a run of at least three of them (commas, bullets, lines),
  or when a whole clause of five or more words has no function word at all. In a transcript
  (a spoken answer) the punctuation is the recogniser's guess at the pauses, and a colon is
  heard as a comma: there a short clause followed by one that says something is its label, as
  "Padding: adds zeros ..." is when typed, and a spoken "equals" states a relation as "=" does.
- **Claims.** Each statement clause of the answer is aligned with the facts of the question
  (the reference answer's sentences and the concepts' descriptions) by the rare words they
  share. Against the fact it shares most with, the clause conflicts when it points the other
  way ("more" against "prevents"), denies what the fact affirms (or affirms what the fact
  denies), or names a different member of a set of mutually exclusive terms ("majority" where
  the fact says "minority", "tanh" where it says "sigmoid"), or swaps the roles of a contrast
  ("the last one rather than the best" against "the best rather than the last"). A direction
  stated on a term ("make the latent dimension larger") is compared with one a fact states on
  it ("reduce latent dimension") however few its words are, and a relative clause says its
  predicate of the subject of the clause before it ("Dropout ..., which increases
  overfitting"). A conflicting clause is no evidence for anything, and the concepts it speaks
  about are shown as errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from interviewer.grading.stemmer import stem
from interviewer.grading.text import (NEGATION_CUES, Token, formula_operators, negated_tokens, stem_weight,
                                      tokenize)

# Words that make a clause say something: auxiliaries, copulas, modals, pronouns and
# subordinators (articles, prepositions and list connectives do not).
PREDICATE_WORDS = frozenset(
    """
    is are was were be been being am isn't aren't wasn't weren't has have had having hasn't haven't
    do does did doesn't don't didn't can could will would shall should may might must can't cannot
    won't wouldn't shouldn't couldn't it it's its they them their this that these those which who
    whom whose what when where why how because so if then there there's we you i he she us our
    makes make made uses use used gets get got lets let allows means mean
    """.split()
)
_CONJUNCTIONS = frozenset({"and", "or"})
_DETERMINERS = frozenset("the a an its their each every all this that these those".split())
MAX_ITEM_WORDS = 4
MIN_LIST_RUN = 3
MIN_BARE_RUN_WORDS = 5
# A clause of at most this many words ending in a colon, with more after it in the sentence,
# labels what follows ("How it works: ...").
MAX_LABEL_WORDS = 3
# Signs that state a relation between the words around them, like a verb (spaced: "p=0.5"
# only sets a value).
_RELATION_SIGNS = (" = ", " -> ", " → ", " ⇒ ")
# The same relations said aloud, as a transcript writes them.
SPOKEN_RELATION_WORDS = frozenset({"equals"})

_CONTRAST_CUES = frozenset({"instead", "than"})
_CONDITIONS = frozenset({"if", "unless"})
# Verbs that deny what follows them, for claims: "it ignores the validation set".
DENIAL_WORDS = frozenset("ignore ignores ignored ignoring lacks lacking skips omits".split())
# Direction words: a statement "more" / "less" of something. Their stems are compared.
_UP = """increase increases increased increasing more higher high larger large bigger grow grows
raise raises boost boosts amplify amplifies accelerate accelerates faster quicker greater
maximize maximizes maximise worsen worsens highest largest enlarge enlarges enlarged enlarging""".split()
_DOWN = """decrease decreases decreased decreasing reduce reduces reduced reducing less lower low
smaller small fewer shrink shrinks prevent prevents prevented preventing avoid avoids avoiding
slow slows slower minimize minimizes minimise mitigate mitigates limit limits limiting lowest smallest""".split()
# Of those, the verbs that state a direction on what follows them ("reduce the latent
# dimension"), and the comparatives that state one on what comes right before them ("make the
# latent dimension larger", "a bottleneck bigger than the input").
_DIRECTION_VERBS = frozenset("""increase increases increased increasing raise raises boost boosts amplify
amplifies accelerate accelerates maximize maximizes maximise worsen worsens grow grows enlarge enlarges enlarged
enlarging decrease decreases decreased decreasing reduce reduces reduced reducing shrink shrinks prevent prevents
prevented preventing avoid avoids avoiding slows minimize minimizes minimise mitigate mitigates limit limits
limiting""".split())
_COMPARATIVES = frozenset("larger bigger greater higher smaller lower fewer".split())
_LINKING_WORDS = frozenset("is are was were be been being get gets got become becomes should must would could can will much even".split())
# How many words a direction word applies to, at most ("the latent dimension").
DIRECTED_WORDS = 3
# Quality words: "performs well" against "performs poorly".
_GOOD = "better improve improves improved well good outperform outperforms easier easily".split()
_BAD = "worse poorly poor bad badly hurt hurts degrade degrades harder struggle struggles difficult".split()

# Sets of mutually exclusive terms of the field: a statement naming one where the reference
# names another says something different about the same thing.
# Each alternative lists its word forms, separated by "/".
EXCLUSIVE_TERMS: tuple[tuple[str, ...], ...] = (
    ("training/trained/train", "validation/validate/val"),
    ("training/trained/train", "inference"),
    ("sigmoid", "tanh", "relu", "softmax"),
    ("majority", "minority"),
    ("static", "dynamic/dynamically"),
    ("additive/addition/added/adding", "multiplicative/multiplication/multiplied/multiplying"),
    ("encoder/encodes", "decoder/decodes"),
    ("overfitting/overfit/overfits", "underfitting/underfit/underfits"),
    ("permanently/permanent", "temporarily/temporary"),
    ("exploding/explode/explodes", "vanishing/vanish/vanishes"),
    ("cpu", "gpu"),
    ("precision", "recall"),
    ("sgd", "adam", "rmsprop"),
    ("classification", "regression"),
    ("weights", "activations", "inputs"),
    ("best", "last/final"),
    ("fixed/frozen/constant/unchanged", "updated/update/updates/updating"),
    ("parallel/simultaneously/concurrently", "sequential/sequentially/serially"),
    ("forward/forwards", "backward/backwards"),
    ("rnn/rnns/recurrent", "cnn/cnns/convolutional", "feedforward"),
    ("h5/hdf5", "savedmodel"),
)

# A clause aligns with a fact when they share this much rarity weight (question words a tenth)
# in at least two different words.
ALIGN_MIN_WEIGHT = 4.0
ALIGN_MIN_WORDS = 2
QUESTION_FACTOR = 0.1
# A plain word (not an exclusive term) that a fact denies contradicts it when the answer
# affirms it and it carries this much rarity weight (common verbs are denied in passing).
# The reverse, denying a plain word a fact affirms, is left to the concept checks: answers
# explain by contrast all the time ("an unweighted loss basically ignores the rare class").
POLARITY_MIN_WEIGHT = 2.5
# How many words after a negation cue an exclusive term is still denied by it.
NEGATION_REACH = 4


@lru_cache(maxsize=1)
def _lexicon() -> tuple[dict[str, int], dict[str, int]]:
    direction = {**{stem(w): 1 for w in _UP}, **{stem(w): -1 for w in _DOWN}}
    quality = {**{stem(w): 1 for w in _GOOD}, **{stem(w): -1 for w in _BAD}}
    return direction, quality


@lru_cache(maxsize=1)
def _exclusive_members() -> tuple[dict[str, str], ...]:
    """Per exclusive set: the stem of each word form -> the alternative it names."""
    sets = []
    for group in EXCLUSIVE_TERMS:
        forms: dict[str, str] = {}
        for alternative in group:
            words = alternative.split("/")
            for word in words:
                forms.setdefault(stem(word.split()[-1]), words[0])
        sets.append(forms)
    return tuple(sets)


@lru_cache(maxsize=1)
def _exclusive_index() -> dict[str, tuple[tuple[int, str], ...]]:
    """Stem of a word form -> (exclusive set, alternative) for every set it belongs to."""
    index: dict[str, list[tuple[int, str]]] = {}
    for k, forms in enumerate(_exclusive_members()):
        for form, alternative in forms.items():
            index.setdefault(form, []).append((k, alternative))
    return {form: tuple(pairs) for form, pairs in index.items()}


# --- term lists --------------------------------------------------------------------------

@dataclass(frozen=True)
class RubricWords:
    """What a question's own texts tell about words an answer's notes may open with."""

    stems: frozenset[str] = frozenset()  # the stems of the concepts' labels and aliases
    term_heads: frozenset[str] = frozenset()  # the stems the labels and aliases name terms with
    verbs: frozenset[str] = frozenset()  # words its texts use as verbs (lowercase)


# Words after which the next word is a verb ("you can compare"); and an object opening with a
# determiner after a word that opens a clause or follows a function word ("track the loss").
_VERB_AFTER = frozenset("can could will would should must may might you we they i".split())
_OBJECT_START = frozenset("the a an its their each every your".split())


def rubric_words(phrases: Iterable[str], texts: Iterable[str]) -> RubricWords:
    """PHRASES: the concepts' labels and aliases; TEXTS: the reference answer, descriptions
    and aliases, read for the words they use as verbs."""
    stems: set[str] = set()
    nouns: set[str] = set()
    heads: set[str] = set()
    for phrase in phrases:
        tokens = tokenize(phrase)
        stems.update(t.stem for t in tokens if not t.stop)
        # the word ending a phrase names its term ("exploding gradients"), as does one opening
        # it as a modifier ("weighted loss"); modifiers are not plural, so an -s word opening a
        # phrase is its verb ("combines momentum"), as is a word inside one ("Adam combines both")
        if tokens and not tokens[-1].stop:
            nouns.add(tokens[-1].stem)
        if len(tokens) > 1 and not tokens[0].stop and not tokens[1].stop and not tokens[0].lower.endswith("s"):
            heads.add(tokens[0].stem)
    verbs: set[str] = set()
    for text in texts:
        tokens = tokenize(text)
        for before, word, after in zip([None, *tokens], tokens, [*tokens[1:], None]):
            if (word.stop or not word.lower.isalpha() or word.lower.endswith(("s", "ed", "ing", "ly"))
                    or word.stem in nouns):
                continue  # base forms only (the inflected ones are told by their ending), no term
            opens = before is None or before.clause != word.clause or before.stop
            if ((before is not None and before.clause == word.clause and before.lower in _VERB_AFTER)
                    or (opens and after is not None and after.clause == word.clause and after.lower in _OBJECT_START)):
                verbs.add(word.lower)
    return RubricWords(frozenset(stems), frozenset(heads | nouns), frozenset(verbs))


def clauses_of(tokens: Sequence[Token]) -> list[list[int]]:
    """The token indices of each clause, in order."""
    groups: list[list[int]] = []
    for index, token in enumerate(tokens):
        if groups and tokens[groups[-1][-1]].clause == token.clause:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def _is_item(tokens: Sequence[Token], stems: Sequence[str], clause: Sequence[int], words: RubricWords) -> bool:
    """A short clause that names terms: no word that could carry a predicate, or nothing
    besides the rubric's own terms ("it's about val_loss")."""
    if _opens_with_verb(tokens, stems, clause, words):
        return False
    if not any(tokens[i].lower in PREDICATE_WORDS for i in clause):
        # "patience and restore_best_weights": the last items of a list, joined by a conjunction
        # (one that opens the clause joins it to the clause before: "..., and optimize training")
        # A list's last item may carry a qualifier ("..., histograms and the callback with log_dir").
        parts = _conjoined(tokens, clause)
        short = [len(part) <= MAX_ITEM_WORDS for part in parts]
        return len(clause) <= MAX_ITEM_WORDS or (len(parts) > 1 and all(short)) or (
            len(parts) >= MIN_LIST_RUN and all(short[:-1]))
    return len(clause) <= MAX_ITEM_WORDS and all(tokens[i].stop or stems[i] in words.stems for i in clause)


def _conjoined(tokens: Sequence[Token], clause: Sequence[int]) -> list[list[int]]:
    """The clause cut at "and" / "or"."""
    parts: list[list[int]] = [[]]
    for i in clause:
        if tokens[i].lower in _CONJUNCTIONS:
            parts.append([])
        else:
            parts[-1].append(i)
    return [part for part in parts if part]


def _opens_with_verb(tokens: Sequence[Token], stems: Sequence[str], clause: Sequence[int],
                     words: RubricWords) -> bool:
    """Terse notes start with a verb ("Allows higher learning rates", "Reduced covariate
    shift", "Track the loss"): an inflected first word that is not a term the rubric ends a
    phrase with (a head noun: "exploding gradients"), with more after it, or a word the
    question's own texts use as a verb, before a determiner."""
    if len(clause) < 2:
        return False
    first = tokens[clause[0]].lower
    if first in words.verbs and tokens[clause[1]].lower in _OBJECT_START:
        return True  # a command with its object ("check the learning rate"), not a term ("restore best weights")
    # ("it's", "that's": the s is "is", not an inflection)
    inflected = (first.endswith("s") and not first.endswith(("ss", "us", "is", "'s", "’s"))) or first.endswith("ed")
    # "restoring the best weights": a participle taking an object
    participle = first.endswith("ing") and tokens[clause[1]].lower in _DETERMINERS
    return (inflected or participle) and len(first) >= 4 and stems[clause[0]] not in words.term_heads


def _is_bare_run(tokens: Sequence[Token], clause: Sequence[int]) -> bool:
    """A long clause without any function word: terms strung together."""
    return len(clause) >= MIN_BARE_RUN_WORDS and not any(tokens[i].stop for i in clause)


def _states(tokens: Sequence[Token], stems: Sequence[str], clause: Sequence[int], words: RubricWords) -> bool:
    """A clause that says something: no list item, and a word that carries a predicate or a
    verb opening it ("decides what to discard", "adds zeros"), not a longer name ("NaN
    detection for training stability")."""
    return not _is_item(tokens, stems, clause, words) and (
        any(tokens[i].lower in PREDICATE_WORDS for i in clause)
        or _opens_with_verb(tokens, stems, clause, words))


_CODE = re.compile(r"```.*?(?:```|$)|`[^`\n]+`", re.DOTALL)


def code_tokens(text: str, tokens: Sequence[Token]) -> frozenset[int]:
    """Tokens inside code (fenced blocks or `inline code`): code states what it does."""
    spans = [m.span() for m in _CODE.finditer(text)]
    if not spans:
        return frozenset()
    return frozenset(i for i, t in enumerate(tokens) if any(a <= t.start < b for a, b in spans))


def list_tokens(tokens: Sequence[Token], stems: Sequence[str] | None = None,
                words: RubricWords = RubricWords(), text: str | None = None,
                spoken: bool = False, clauses: Sequence[Sequence[int]] | None = None) -> frozenset[int]:
    """Indices of the tokens that belong to a list of terms rather than to a statement.
    SPOKEN: the text is a transcript, its punctuation the recogniser's (see the module's notes).
    CLAUSES: clauses_of(tokens), when the caller has them."""
    stems = stems if stems is not None else [t.stem for t in tokens]
    code = code_tokens(text, tokens) if text is not None else frozenset()
    clauses = clauses if clauses is not None else clauses_of(tokens)
    operators = formula_operators(text) if text is not None else set()
    # (a clause can only hold a sign the text holds: most texts have none, and no clause is sliced)
    relations = text is not None and any(sign in text for sign in _RELATION_SIGNS)
    listed: set[int] = set()
    run: list[list[int]] = []

    def close() -> None:
        # "dashboard and loss curves and histograms": one clause joining a list's worth of items
        if len(run) >= MIN_LIST_RUN or any(len(_conjoined(tokens, clause)) >= MIN_LIST_RUN for clause in run):
            for clause in run:
                listed.update(clause)
        run.clear()

    for number, clause in enumerate(clauses):
        if text is not None:
            last = tokens[clause[-1]]
            following = clauses[number + 1] if number + 1 < len(clauses) else None
            if (relations and any(sign in text[tokens[clauses[number - 1][-1]].end if number else 0 : last.end]
                                  for sign in _RELATION_SIGNS)) or (
                    spoken and any(tokens[i].lower in SPOKEN_RELATION_WORDS for i in clause)) or (
                    operators and any(tokens[clause[0]].start < at < last.end for at in operators)):
                close()  # "higher temperature = more diversity" states a relation, as a formula does
                continue
            if (len(clause) <= MAX_LABEL_WORDS and following is not None
                    and tokens[following[0]].sentence == last.sentence
                    and (text[last.end : last.end + 3].lstrip().startswith(":")
                         or (spoken and _states(tokens, stems, following, words)))):
                continue  # a label introducing what follows ("Solutions: ..."), not an item
            if not any(tokens[i].text[:1].isalpha() for i in clause):
                continue  # numbers only ("(1.0-1.5)"): no term
        if code.issuperset(clause):
            close()
        elif _is_bare_run(tokens, clause):
            listed.update(clause)
            close()
        elif _is_item(tokens, stems, clause, words):
            run.append(clause)
        else:
            close()
    close()
    return frozenset(listed)


# --- beliefs set aside ---------------------------------------------------------------------

# Words that introduce a belief the answer names in order to set it aside, not to assert it:
# "a common misconception is that ...", "it's wrongly assumed that ...", "people often think
# ...", "unlike X, which ...". What they introduce runs to the end of the sentence or to a word
# turning back to what the answer asserts ("..., but in fact ...").
_SETS_ASIDE = frozenset(
    "misconception misconceptions myth myths mistake mistakes misunderstanding fallacy "
    "wrongly incorrectly mistakenly falsely erroneously".split())
_BELIEF_VERBS = frozenset(
    "think thinks thought believe believes believed assume assumes assumed claim claims claimed say says said "
    "expect expects expected".split())
_OTHERS = frozenset("people many some others beginners newcomers everyone folks often commonly".split())
_TURNS = frozenset("but however actually though although yet whereas instead".split())
# "unlike X" (and "as opposed to X", "contrary to X", "differs from X") sets X aside with a
# relative clause describing it, not what the sentence goes on to say.
_CONTRASTS = frozenset("unlike opposed contrary".split())
_DIFFERS = frozenset("differs differ different distinct".split())
_DESCRIBING = frozenset("which that who whose where".split())  # a relative clause describing X


def set_aside_tokens(tokens: Sequence[Token]) -> frozenset[int]:
    """Indices of the tokens that state a belief the answer sets aside (see above)."""
    aside: set[int] = set()
    for index, token in enumerate(tokens):
        lower = token.lower
        if lower in _CONTRASTS or (lower in _DIFFERS and index + 1 < len(tokens)
                                   and tokens[index + 1].lower == "from"):
            clause = token.clause
            took_relative = False
            for later in range(index, len(tokens)):
                word = tokens[later]
                if word.sentence != token.sentence:
                    break
                if word.clause != clause:
                    if took_relative or word.lower not in _DESCRIBING:
                        break
                    took_relative, clause = True, word.clause
                aside.add(later)
            continue
        believed = lower in _BELIEF_VERBS and any(
            tokens[before].lower in _OTHERS and tokens[before].sentence == token.sentence
            for before in range(max(0, index - 3), index))
        if lower not in _SETS_ASIDE and not believed:
            continue
        for later in range(index, len(tokens)):
            word = tokens[later]
            if word.sentence != token.sentence or word.lower in _TURNS or (
                    word.lower == "fact" and later and tokens[later - 1].lower == "in"):
                break
            aside.add(later)
    return frozenset(aside)


# --- claims ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Statement:
    """The words of a reference fact or an answer clause that matter for comparing claims."""

    weights: dict[str, float]  # anchor stems (not direction or exclusive terms) -> weight
    negated: frozenset[str]  # stems stated under a negation
    direction: int  # sign of "more" minus "less" words, flipped by a negation
    quality: int
    exclusive: dict[int, frozenset[str]]  # exclusive set -> its members named (affirmed)
    # stems denied by a plain negation ("cannot capture"), not set against an alternative
    # ("instead of just predicting the majority")
    plainly_negated: frozenset[str] = frozenset()
    # put under a condition ("if the corpus is small, use ..."): it speaks of that case only
    conditional: bool = False
    # how it relates two quantities it gives a direction each: 1 the same way, -1 opposite ways
    relation: int = 0
    # "A instead of B", "A rather than B" with A and B members of one exclusive set: (set, A, B)
    contrasts: frozenset[tuple[int, str, str]] = frozenset()
    # the anchor stems its one direction is stated on ("reduce the latent dimension")
    directed: frozenset[str] = frozenset()


def _rather_than(tokens: Sequence[Token], i: int) -> bool:
    """Whether token I is the "than" of "rather than"."""
    return tokens[i].lower == "than" and i > 0 and tokens[i - 1].lower == "rather"


def statement_of(tokens: Sequence[Token], stems: Sequence[str], negated: Sequence[bool],
                 indices: Iterable[int], question_stems: frozenset[str]) -> Statement:
    direction_words, quality_words = _lexicon()
    exclusive_index = _exclusive_index()
    weights: dict[str, float] = {}
    negated_stems: set[str] = set()
    direction = quality = 0
    pointed: set[int] = set()  # the ways its direction words point
    # the signs of its direction words, one per quantity (words with content between them,
    # not joined by a conjunction)
    quantities: list[int] = []
    content_since = joined_since = False
    exclusive: dict[int, set[str]] = {}
    denied = False  # a denial verb ("ignores") negates the next content word
    scope, cue_at = -1, 0  # a negation cue reaches to the end of its clause ("rather than by repeated multiplication")
    indices = list(indices)
    flags = negated  # the answer's, copied only when a negation cue marks a term of the clause
    # members of exclusive sets a clause names before its contrast cue, and those set against them
    offered: dict[int, dict[int, set[str]]] = {}
    preferred: dict[int, set[str]] = {}
    rejected: dict[int, set[str]] = {}
    contrast_clause = -1
    for i in indices:
        token, value = tokens[i], stems[i]
        lower = token.lower
        contrast = lower == "instead" or _rather_than(tokens, i)
        if lower in NEGATION_CUES or contrast:
            # "rather than X" and "instead of X" deny everything after them in the clause
            scope, cue_at = token.clause, (len(tokens) if contrast else i)
            if contrast and contrast_clause != token.clause:
                contrast_clause = token.clause
                for k, named in offered.get(token.clause, {}).items():
                    preferred.setdefault(k, set()).update(named)
        elif token.clause == scope and (i - cue_at <= NEGATION_REACH or cue_at == len(tokens)) and (
            value in exclusive_index
        ):
            if flags is negated:
                flags = list(negated)
            flags[i] = True  # only for exclusive terms: elsewhere a negation is often a paraphrase
        if lower in NEGATION_CUES:
            continue
        if lower in DENIAL_WORDS:
            denied = True
            continue
        is_negated = flags[i] or (denied and not token.stop)
        if not token.stop:
            denied = False
        sign = -1 if is_negated else 1
        if value in direction_words:
            direction += sign * direction_words[value]
            pointed.add(sign * direction_words[value])
            if not quantities or (content_since and not joined_since):
                quantities.append(sign * direction_words[value])
            content_since = joined_since = False
            continue
        if token.lower in _CONJUNCTIONS:
            joined_since = True  # "less intuitive and less flexible": two points, no relation
        elif not token.stop:
            content_since = True
        if value in quality_words:
            quality += sign * quality_words[value]
            continue
        if value in question_stems:
            if not token.stop:
                weights.setdefault(value, stem_weight(value) * QUESTION_FACTOR)
            continue
        groups = exclusive_index.get(value)
        if groups:
            # a term of an exclusive set anchors the comparison too ("the training loss")
            weights.setdefault(groups[0][1], stem_weight(value))
            if not is_negated:
                for k, alternative in groups:
                    exclusive.setdefault(k, set()).add(alternative)
                    if token.clause != contrast_clause:
                        offered.setdefault(token.clause, {}).setdefault(k, set()).add(alternative)
            else:
                negated_stems.add(groups[0][1])
                if token.clause == contrast_clause:
                    for k, alternative in groups:
                        rejected.setdefault(k, set()).add(alternative)
            continue
        if token.stop:
            continue
        weights.setdefault(value, stem_weight(value))
        if is_negated:
            negated_stems.add(value)
    plain: set[str] = set()
    if negated_stems:  # (most clauses deny nothing)
        # A term both denied and affirmed in one clause ("not trained on ... the training set")
        # is no claim either way.
        affirmed = {stems[i] for i in indices if not flags[i]}
        affirmed |= {a for named in exclusive.values() for a in named}
        negated_stems -= affirmed
        for k in list(exclusive):
            if exclusive[k] & negated_stems:
                del exclusive[k]
        last_cue = None
        for i in indices:
            token = tokens[i]
            if token.lower in NEGATION_CUES or _rather_than(tokens, i):
                last_cue = token.lower
            elif flags[i] and last_cue not in _CONTRAST_CUES:
                groups = exclusive_index.get(stems[i])
                named = groups[0][1] if groups else stems[i]
                if named in negated_stems:
                    plain.add(named)
    # Words pointing both ways speak of different things ("too large; reducing it forces a
    # compressed code"): such a statement states no one direction.
    # Two quantities with a direction each relate them ("a lower temperature gives less
    # diversity" is "a higher one gives more"): the statement states that relation, no direction.
    relation = 0
    if len(quantities) >= 2:
        relation = 1
        for value in quantities:
            relation *= value
    single = _sign(direction) if len(pointed) == 1 and not relation else 0
    # "the final epoch's weights instead of the best epoch's": the last one in the best one's place
    contrasts = frozenset((k, first, second) for k, named in rejected.items() for second in named
                          for first in preferred.get(k, ()) if first != second)
    directed = _directed(tokens, stems, indices, weights) if single else frozenset()
    return Statement(weights, frozenset(negated_stems), single, _sign(quality),
                     {k: frozenset(v) for k, v in exclusive.items()}, frozenset(plain),
                     any(tokens[i].lower in _CONDITIONS for i in indices), relation, contrasts, directed)


def _directed(tokens: Sequence[Token], stems: Sequence[str], indices: Sequence[int],
              weights: Mapping[str, float]) -> frozenset[str]:
    """The words a statement's direction is stated on: the words right after a direction verb
    (past a determiner) and right before a comparative, within the clause and with only a
    space between them."""
    inside = set(indices)
    directed: set[str] = set()

    def take(start: int, step: int) -> None:
        k, previous, taken = start + step, start, 0
        while k in inside and taken < DIRECTED_WORDS and tokens[k].clause == tokens[start].clause:
            near, far = (tokens[previous], tokens[k]) if step > 0 else (tokens[k], tokens[previous])
            if far.start - near.end > 1:
                break
            if tokens[k].stop:
                # past a determiner forwards ("reduce the size"), a copula backwards ("the size should be smaller")
                if taken or tokens[k].lower not in (_DETERMINERS if step > 0 else _LINKING_WORDS):
                    break
            elif stems[k] in weights:
                directed.add(stems[k])
                taken += 1
            else:
                break
            previous, k = k, k + step

    for i in indices:
        lower = tokens[i].lower
        if lower in _DIRECTION_VERBS:
            take(i, 1)
        elif lower in _COMPARATIVES:
            take(i, -1)
    return frozenset(directed)


def is_lowering(stem_text: str) -> bool:
    """A word that puts a point as lowering or preventing something ("minimizes", "prevents")."""
    return _lexicon()[0].get(stem_text) == -1


def speaks_of_preventing(text: str) -> bool:
    """Whether a text puts its point as lowering or preventing something ("prevents
    overfitting"): then "it doesn't overfit" says the same."""
    return any(is_lowering(t.stem) for t in tokenize(text))


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


@dataclass(frozen=True)
class Fact:
    """A sentence of the reference answer or a concept's description."""

    text: str
    statement: Statement
    concept: int | None  # index of the concept it describes, when a description
    # its clauses, when more than one: a sentence as a whole may net out what one clause of
    # it states ("Less sensitivity to initialization: more forgiving weight initialization")
    parts: tuple[Statement, ...] = ()


_BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s")
MAX_HEADING_WORDS = 6


def _headings(text: str) -> list[tuple[int, int, str]]:
    """(start, end, heading) for the stretches of a Markdown answer that stand under a short
    heading line ending in a colon ("**SavedModel (directory):**"), up to the next blank line
    or heading."""
    spans: list[tuple[int, int, str]] = []
    heading, start, offset = None, 0, 0
    for line in text.splitlines(keepends=True):
        bare = line.strip().strip("*_#").strip()
        if not bare:
            if heading is not None:
                spans.append((start, offset, heading))
            heading = None
        elif (not _BULLET.match(line) and bare.rstrip("*_").endswith(":")
              and len(bare.split()) <= MAX_HEADING_WORDS):
            if heading is not None:
                spans.append((start, offset, heading))
            heading, start = bare, offset + len(line)
        offset += len(line)
    if heading is not None:
        spans.append((start, offset, heading))
    return spans


def _heading_members(heading: str) -> dict[int, frozenset[str]]:
    """The members of exclusive sets a heading names: what the notes under it speak of."""
    named: dict[int, set[str]] = {}
    for token in tokenize(heading):
        for k, alternative in _exclusive_index().get(token.stem, ()):
            named.setdefault(k, set()).add(alternative)
    return {k: frozenset(v) for k, v in named.items()}


def facts_of(reference: str, descriptions: Sequence[str], question_stems: frozenset[str]) -> tuple[Fact, ...]:
    facts: list[Fact] = []
    tokens = tokenize(reference)
    flags = negated_tokens(tokens)
    stems = [t.stem for t in tokens]
    sentences: dict[int, list[int]] = {}
    for index, token in enumerate(tokens):
        sentences.setdefault(token.sentence, []).append(index)
    headings = [(a, b, _heading_members(h)) for a, b, h in _headings(reference)]
    for indices in sentences.values():
        statement = statement_of(tokens, stems, flags, indices, question_stems)
        # A note under a heading naming a member of an exclusive set ("SavedModel:") speaks of
        # that member when it names none of its set itself ("- Pros: TF Serving compatible").
        at = tokens[indices[0]].start
        for first, last, members in headings:
            if first <= at < last:
                extra = {k: v for k, v in members.items() if k not in statement.exclusive}
                if extra:
                    statement = replace(statement, exclusive={**statement.exclusive, **extra})
        if statement.weights:
            text = reference[tokens[indices[0]].start : tokens[indices[-1]].end]
            clauses = clauses_of([tokens[i] for i in indices])
            parts = tuple(statement_of(tokens, stems, flags, [indices[i] for i in clause], question_stems)
                          for clause in clauses) if len(clauses) > 1 else ()
            facts.append(Fact(text, statement, None, parts))
    for index, description in enumerate(descriptions):
        if not description.strip():
            continue
        tokens = tokenize(description)
        stems = [t.stem for t in tokens]
        flags = negated_tokens(tokens)
        statement = statement_of(tokens, stems, flags, range(len(tokens)), question_stems)
        if statement.weights:
            clauses = clauses_of(tokens)
            parts = tuple(statement_of(tokens, stems, flags, clause, question_stems)
                          for clause in clauses) if len(clauses) > 1 else ()
            facts.append(Fact(description, statement, index, parts))
    return tuple(facts)


def _shared(a: Statement, b: Statement) -> tuple[float, int]:
    ours, theirs = a.weights, b.weights
    shared = [s for s in ours if s in theirs]
    if not shared:  # (most clause and fact pairs)
        return 0, 0
    return sum(min(ours[s], theirs[s]) for s in shared), sum(1 for s in shared if ours[s] >= 0.5)


def _aligns(claim: Statement, fact: Statement) -> bool:
    weight, words = _shared(claim, fact)
    return weight >= ALIGN_MIN_WEIGHT and words >= ALIGN_MIN_WORDS


def conflicts(claim: Statement, fact: Statement) -> list[tuple[str, object]]:
    """The ways the claim contradicts a fact it aligns with: (kind, what is contested)."""
    found: list[tuple[str, object]] = []
    # A statement under a condition and a plain one speak of different cases: "if the corpus
    # is small, use pretrained embeddings" does not say the corpus should be small.
    comparable = claim.conditional == fact.conditional
    if comparable and claim.direction and fact.direction and claim.direction != fact.direction:
        found.append(("direction", claim.direction))
    if comparable and claim.quality and fact.quality and claim.quality != fact.quality:
        found.append(("quality", claim.quality))
    if comparable and claim.relation and fact.relation and claim.relation != fact.relation:
        found.append(("relation", claim.relation))
    # "A instead of B" where the fact says "B rather than A": the roles swapped
    for contrast in claim.contrasts:
        group, first, second = contrast
        if comparable and (group, second, first) in fact.contrasts and contrast not in fact.contrasts:
            found.append(("contrast", contrast))
    for group, named in claim.exclusive.items():
        theirs = fact.exclusive.get(group)
        if theirs and not (named & theirs):
            found.append(("term", (group, named)))
        elif theirs and named & fact.negated:  # naming as true what the fact denies for another member
            found.append(("term", (group, named)))
    # Denying an exclusive term a plain affirmation names ("does not use the validation set");
    # against a fact that speaks of preventing or improving, a negation may restate it
    # ("so it doesn't overfit" for "prevents overfitting").
    # "Instead of X" sets X against what takes its place: it denies the term X when what takes
    # its place is another member of X's set ("the final epoch rather than the best one"), not
    # when the contrast is about something else ("instead of taking the whole input at once").
    if not fact.direction and not fact.quality:
        for s in claim.negated:
            if s not in claim.plainly_negated and not _set_against_alternative(claim, s):
                continue
            if any(s in named for named in fact.exclusive.values()):
                found.append(("negation", (s, True)))
    # Affirming what the fact denies: "they do capture semantic similarity" against "it
    # cannot capture semantic similarity".
    for s in fact.plainly_negated:
        if s in claim.weights and s not in claim.negated and claim.weights[s] >= POLARITY_MIN_WEIGHT:
            found.append(("negation", (s, False)))
    return found


def _set_against_alternative(claim: Statement, term: str) -> bool:
    """Whether the claim affirms another member of a set of exclusive terms `term` is in."""
    return any(term in forms.values() and claim.exclusive.get(k, frozenset()) - {term}
               for k, forms in enumerate(_exclusive_members()))


def supports(fact: Statement, kind: str, contested: object) -> bool:
    """Whether an aligned fact states the contested part of the claim the same way."""
    if kind == "direction":
        return fact.direction == contested
    if kind == "quality":
        return fact.quality == contested
    if kind == "relation":
        return fact.relation == contested
    if kind == "contrast":
        return contested in fact.contrasts
    if kind == "term":
        group, named = contested  # type: ignore[misc]
        return bool(fact.exclusive.get(group, frozenset()) & named)
    stem_text, is_negated = contested  # type: ignore[misc]
    return stem_text in fact.weights and (stem_text in fact.negated) == is_negated


@dataclass(frozen=True)
class Contradiction:
    """A clause of the answer that contradicts a fact, with the concepts it speaks about."""

    token_indices: tuple[int, ...]
    fact: Fact
    kind: str


def claim_anchors(facts: Sequence[Fact]) -> frozenset[str]:
    """The stems a clause must name to align with one of the facts: a clause aligns with a fact
    only through a word both share, so a clause naming no word of any fact (nor an exclusive
    term, which facts anchor by its alternative) is skipped unread."""
    return frozenset({s for fact in facts for s in fact.statement.weights}.union(_exclusive_index()))


@dataclass(frozen=True)
class ClaimCheck:
    """What the claim check found in an answer's statement clauses."""

    contradictions: list[Contradiction]
    # the first token of each statement clause that aligns with a fact by its own words
    aligned: frozenset[int] = frozenset()


def check_claims(tokens: Sequence[Token], stems: Sequence[str], negated: Sequence[bool],
                 facts: Sequence[Fact], question_stems: frozenset[str],
                 skip: frozenset[int] = frozenset(), clauses: Sequence[Sequence[int]] | None = None,
                 sentences: Mapping[int, Sequence[int]] | None = None,
                 anchors: frozenset[str] | None = None) -> ClaimCheck:
    """Statement clauses of the answer that contradict a fact they align with, where no
    other aligned fact states the contested part the way the clause does. CLAUSES, SENTENCES
    and ANCHORS: clauses_of(tokens), sentence number -> token indices and claim_anchors(facts),
    when the caller has them."""
    found: list[Contradiction] = []
    aligned_clauses: set[int] = set()
    if sentences is None:
        by_sentence: dict[int, list[int]] = {}
        for index, token in enumerate(tokens):
            by_sentence.setdefault(token.sentence, []).append(index)
        sentences = by_sentence
    contexts: dict[int, Statement] = {}
    anchors = anchors if anchors is not None else claim_anchors(facts)
    clauses = clauses if clauses is not None else clauses_of(tokens)
    for number, clause in enumerate(clauses):
        if skip and any(i in skip for i in clause):
            continue
        if not any(stems[i] in anchors for i in clause):
            continue
        claim = statement_of(tokens, stems, negated, clause, question_stems)
        if not claim.weights:
            continue
        # A clause leans on its sentence for what it is about ("..., which increases
        # overfitting"): the sentence's words align it, the clause's own words must touch the fact.
        sentence = tokens[clause[0]].sentence
        aligned = []
        shares = [_shared(claim, fact.statement) for fact in facts]
        for (weight, words), fact in zip(shares, facts):
            if weight >= ALIGN_MIN_WEIGHT and words >= ALIGN_MIN_WORDS:
                aligned.append((weight, fact))
        if aligned:
            aligned_clauses.add(clause[0])
        else:  # only when the clause alone aligns with nothing
            for (_, words), fact in zip(shares, facts):
                if words < 1:
                    continue
                if sentence not in contexts:
                    contexts[sentence] = statement_of(tokens, stems, negated, sentences[sentence], question_stems)
                weight, words = _shared(contexts[sentence], fact.statement)
                if weight >= ALIGN_MIN_WEIGHT and words >= ALIGN_MIN_WORDS:
                    aligned.append((weight, fact))
        if not aligned and number and _continues(tokens, clause):
            claim, aligned = _continued(claim, tokens, stems, negated, clauses[number - 1], facts, question_stems)
        contradiction = _contradicted(claim, clause, aligned, tokens, stems, negated, sentences) if aligned else None
        if contradiction is None and claim.directed:
            contradiction = _contradicted_direction(claim, clause, facts)
        if contradiction is not None:
            found.append(contradiction)
    return ClaimCheck(found, frozenset(aligned_clauses))


_CONTINUING = frozenset("which that this".split())


def _continues(tokens: Sequence[Token], clause: Sequence[int]) -> bool:
    """A clause continuing the statement before it, its subject ("..., which increases
    overfitting", "This reduces overfitting."): a relative word followed by what it says, not
    by a noun of its own ("this layer ...")."""
    if len(clause) < 2 or tokens[clause[0]].lower not in _CONTINUING:
        return False
    following = tokens[clause[1]]
    direction, quality = _lexicon()
    return (following.stop or following.stem in direction or following.stem in quality
            or (following.lower.endswith("s") and not following.lower.endswith("ss")))


def _continued(claim: Statement, tokens: Sequence[Token], stems: Sequence[str], negated: Sequence[bool],
               before: Sequence[int], facts: Sequence[Fact],
               question_stems: frozenset[str]) -> tuple[Statement, list[tuple[float, Fact]]]:
    """The claim of a clause continuing the one BEFORE it, said of that clause's subject (its
    first word that is no function word), and the facts it aligns with: those holding every
    word of it, at least two (question words too: "dropout ... which increases overfitting"
    speaks of the question's own terms, so they are all it has)."""
    subject = next((i for i in before if not tokens[i].stop), None)
    if subject is None or negated[subject] or stems[subject] in claim.weights:
        return claim, []
    said = statement_of(tokens, stems, negated, [subject], question_stems)
    if not said.weights:
        return claim, []
    claim = replace(claim, weights={**said.weights, **claim.weights})
    aligned = [(sum(claim.weights.values()), fact) for fact in facts
               if len(claim.weights) >= ALIGN_MIN_WORDS and claim.weights.keys() <= fact.statement.weights.keys()]
    return claim, aligned


def _contradicted(claim: Statement, clause: Sequence[int], aligned: list[tuple[float, Fact]],
                  tokens: Sequence[Token], stems: Sequence[str], negated: Sequence[bool],
                  sentences: Mapping[int, Sequence[int]]) -> Contradiction | None:
    """The first fact the clause aligns with (the closest first) that it contradicts where no
    other aligned fact states the contested part the way the clause does."""
    # (what a pronoun refers to changes no alignment, only what the clause names)
    claim = _with_antecedent(claim, tokens, stems, negated, clause, sentences)
    aligned.sort(key=lambda pair: -pair[0])
    # the clauses of the reference the claim aligns with, for what a whole sentence nets out
    parts = [part for _, fact in aligned for part in fact.parts if _aligns(claim, part)]
    for weight, fact in aligned:
        contested = [
            (kind, what) for kind, what in conflicts(claim, fact.statement)
            if not any(supports(_backing(claim, other, kind, what), kind, what) for _, other in aligned)
            and not any(supports(part, kind, what) for part in parts)
        ]
        if contested:
            return Contradiction(tuple(clause), fact, contested[0][0])
    return None


def _contradicted_direction(claim: Statement, clause: Sequence[int], facts: Sequence[Fact]) -> Contradiction | None:
    """ "Make the latent dimension larger" against "reduce latent dimension": a direction stated
    on the same words speaks of the same quantity, however few and common the words are; it
    contradicts a fact stating the other direction on them unless another states its own."""
    on_same = [fact for fact in facts if _directed_weight(claim, fact.statement) >= POLARITY_MIN_WEIGHT]
    if any(fact.statement.direction == claim.direction for fact in on_same):
        return None
    return next((Contradiction(tuple(clause), fact, "direction") for fact in on_same), None)


def _directed_weight(claim: Statement, fact: Statement) -> float:
    """How much of what the claim states its direction on the fact states its own on."""
    if not fact.directed or claim.conditional != fact.conditional:
        return 0.0
    return sum(claim.weights[s] for s in claim.directed & fact.directed)


def _backing(claim: Statement, fact: Fact, kind: str, contested: object) -> Statement:
    """What of the fact can back the claim's contested part: the whole fact, or, when it sets
    members of the contested set against each other clause by clause ("SavedModel is
    language-agnostic ..., while H5 is Keras-only"), only the clause the claim is closest to."""
    if kind != "term" or not fact.parts:
        return fact.statement
    group, _ = contested  # type: ignore[misc]
    if len(fact.statement.exclusive.get(group, frozenset())) < 2:
        return fact.statement
    return max(fact.parts, key=lambda part: _shared(claim, part)[0])


_PRONOUNS = frozenset("it it's its they this".split())
_COPULAS = frozenset("is are was were".split())


def _with_antecedent(claim: Statement, tokens: Sequence[Token], stems: Sequence[str], negated: Sequence[bool],
                     clause: Sequence[int], sentences: Mapping[int, Sequence[int]]) -> Statement:
    """A clause speaking through a pronoun ("..., it's compiled to a graph TF Serving loads")
    speaks of the member of an exclusive set the clause before it opens with, its subject
    ("The .h5 format is the production one"; not "it normalizes the activations")."""
    if not any(tokens[i].lower in _PRONOUNS for i in clause):
        return claim
    before = [i for i in sentences[tokens[clause[0]].sentence] if i < clause[0]]
    # the clause just before it, opening with the member it is about (its subject)
    previous = [i for i in before if tokens[i].clause == tokens[before[-1]].clause] if before else []
    subject = next((i for i in previous if not tokens[i].stop), None)
    # only a clause saying what its subject is makes that subject what "it" means next; after
    # "Training stops before the network starts memorizing ..., so it generalizes better", "it"
    # may be any of its nouns
    if subject is None or negated[subject] or not any(tokens[i].lower in _COPULAS for i in previous):
        return claim
    extra = {k: frozenset({alternative}) for k, alternative in _exclusive_index().get(stems[subject], ())
             if k not in claim.exclusive}
    return replace(claim, exclusive={**claim.exclusive, **extra}) if extra else claim


def supported_share(tokens: Sequence[Token], stems: Sequence[str], check: ClaimCheck,
                    skip: frozenset[int] = frozenset(), wrong: frozenset[int] = frozenset(),
                    clauses: Sequence[Sequence[int]] | None = None) -> float:
    """The share of the content weight of the answer's statement clauses (those outside lists
    of terms) that speaks to a fact of the question (aligns with it, as CHECK, the claim check
    of the same clauses, found) and contradicts none."""
    total = backed = 0.0
    for clause in clauses if clauses is not None else clauses_of(tokens):
        if skip and any(i in skip for i in clause):
            continue
        weight = sum(stem_weight(stems[i]) for i in clause if not tokens[i].stop)
        if weight <= 0:
            continue
        total += weight
        if any(i in wrong for i in clause):
            continue
        if clause[0] in check.aligned:
            backed += weight
    return backed / total if total else 1.0
