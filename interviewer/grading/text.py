"""Text handling shared by the graders: tokens with their offsets, sentences and clauses,
stop words, negation cues, word weights from a background of common English, and fuzzy
matching of misspelt words.

Every token keeps its character offsets, so evidence quoted back to the candidate is
always a verbatim slice of what they wrote.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

from interviewer.grading.stemmer import stem

# A word; a single letter with a subscript ("f_t", "W_f", "x_t") is one word, as in maths,
# while longer names split at underscores ("val_loss" reads as "val loss").
_WORD = re.compile(r"(?:(?<![^\W_])[^\W\d_]_[^\W_]+|[^\W_]+)(?:['’][^\W_]+)*")
# Sentence ends: . ! ? ; or a line break (bullets, numbered steps), keeping decimals and the
# abbreviations that run on inside a sentence ("e.g. Adam vs. SGD") intact. After a number a
# stop ends the sentence only before a capital ("often 0.5. Inference ..."), not in "1. **Step**".
# The leading lookahead lets the scan skip ordinary characters fast.
_SENTENCE_BREAK = re.compile(
    r"(?=[.!?;\n:*•-])(?:(?<!\d)(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bcf)(?<!\bE\.g)(?<!\bI\.e)"
    r"[.!?;]+(?=\s|$)|(?<=\d)[.!?;]+(?=\s+[A-Z])|\n+|(?<=\s)[-*•]\s|:\s*\n)")
# Clause breaks inside a sentence: commas, colons, spaced dashes, and a few
# conjunctions that open a clause (found among the words, see tokenize).
_CLAUSE_PUNCTUATION = re.compile(r"[,:]")
_SPACED_DASH = re.compile(r"(?<=\s)[-–—/](?=\s)")  # and a spaced slash: "a / b / c"
# ...unless it stands between two operands of a formula, "(x - mean) / sqrt(variance + eps)",
# "1 - p": there it is an operator, and the formula one statement. An operand holds a bracket or
# a sign, or is a number, a single letter (not "a" or "I") or a function's name.
_OPERAND = re.compile(r"\S*[()\[\]=+*^]\S*|[(\[]*(?:\d+(?:\.\d+)?|[^\W\daAI_]|sqrt|log|exp|ln)[)\]]*")
_CLAUSE_OPENERS = frozenset({"but", "whereas", "while", "although", "though", "however", "because"})

STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each either etc few for from further get gets got had hadn't
    has hasn't have haven't having he her here hers herself him himself his how however i if in
    into is isn't it it's its itself just let's like make makes many may me might more most much
    must mustn't my myself no nor not now of off often on once one only or other ought our ours
    ourselves out over own per rather same say says shall shan't she should shouldn't so some such
    than that that's the their theirs them themselves then there there's these they this those
    through thus to too under until up upon us use used uses using very via was wasn't we were
    weren't what when where whether which while who whom whose why will with within without won't
    would wouldn't yes yet you your yours yourself yourselves e g ie eg i.e e.g
    """.split()
)

NEGATION_CUES = frozenset(
    """
    not no never none nothing neither nor without cannot can't don't doesn't didn't isn't aren't
    wasn't weren't won't wouldn't shouldn't couldn't hasn't haven't hadn't mustn't instead
    """.split()
)
# "rather than X" and "instead of X" negate what follows them too.
# Adverbs a negation passes over to reach what it denies ("not really affected").
NEGATION_TRANSPARENT = frozenset(
    "really actually necessarily always just even quite entirely completely exactly truly particularly".split()
)

# Zipf value given to words missing from the background list: rarer than anything in it.
UNKNOWN_ZIPF = 2.5
NUMBER_ZIPF = 5.0
# Information weight of a word: how much rarer it is than the most common function words.
_MAX_ZIPF = 7.0


class Token(NamedTuple):
    """One word of a text, with its character offsets and sentence and clause numbers."""

    text: str
    start: int
    end: int
    lower: str
    stem: str
    stop: bool
    sentence: int
    clause: int


def _apostrophes(word: str) -> str:
    return word.replace("’", "'")


def normalise(word: str) -> str:
    """Lowercase with plain apostrophes."""
    return _apostrophes(word.lower())


def word_stem(lower: str) -> str:
    if lower.endswith("n't"):
        return lower
    if "'" in lower:
        lower = lower.split("'", 1)[0]
    return stem(lower)


@lru_cache(maxsize=131072)
def _word_forms(word: str) -> tuple[str, str, bool]:
    lower = normalise(word)
    return lower, word_stem(lower), lower in STOP_WORDS


def _boundaries(pattern: re.Pattern[str], text: str) -> list[int]:
    return [match.end() for match in pattern.finditer(text)]


def _spaced_dashes(text: str) -> list[int]:
    if "-" not in text and "/" not in text and "–" not in text and "—" not in text:
        return []  # most answers: no scan
    return [match.start() for match in _SPACED_DASH.finditer(text)]


def _operators_among(text: str, dashes: list[int]) -> set[int]:
    operators = set()
    for at in dashes:
        left = text[max(0, at - 64) : at].rsplit(None, 1)
        right = text[at + 1 : at + 65].split(None, 1)
        if left and right and _OPERAND.fullmatch(left[-1]) and _OPERAND.fullmatch(right[0]):
            operators.add(at)
    return operators


def formula_operators(text: str) -> set[int]:
    """Offsets of the spaced dashes and slashes that are a formula's operators, not breaks."""
    return _operators_among(text, _spaced_dashes(text))


def _clause_breaks(text: str, sentence_ends: list[int], dashes: list[int]) -> list[int]:
    """Where clauses end, by punctuation (conjunctions are handled per word); DASHES are the
    spaced dashes that are no formula's operators."""
    breaks = {*sentence_ends, *(m.start() for m in _CLAUSE_PUNCTUATION.finditer(text))}
    breaks.update(at - 1 for at in dashes)
    return sorted(breaks)


def tokenize(text: str) -> list[Token]:
    """Words of the text with offsets, sentence and clause numbers.

    Numbers only tell tokens apart: two tokens share a sentence (clause) exactly when no
    sentence (clause) break lies between them.
    """
    sentence_ends = _boundaries(_SENTENCE_BREAK, text)
    dashes = _spaced_dashes(text)
    operators = _operators_among(text, dashes) if dashes else set()
    if operators:  # a spaced "-" also reads as a bullet, ending a sentence at the "- "
        sentence_ends = [end for end in sentence_ends if end - 2 not in operators]
        dashes = [at for at in dashes if at not in operators]
    clause_ends = _clause_breaks(text, sentence_ends, dashes)
    tokens: list[Token] = []
    append = tokens.append
    make = tuple.__new__  # Token(...) without NamedTuple's Python-level __new__: this loop is hot
    opened = 0  # clauses opened by a conjunction so far
    for match in _WORD.finditer(text):
        start, end = match.span()
        word = text[start:end]
        lower, word_stem_, stop = _word_forms(word)
        if lower in _CLAUSE_OPENERS or (lower == "so" and text[end : end + 5].lower() == " that"
                                        and not text[end + 5 : end + 6].isalnum()):
            opened += 1
        # a sentence (clause) number counts the breaks at or before the word
        append(make(Token, (word, start, end, lower, word_stem_, stop,
                            bisect_right(sentence_ends, start), bisect_right(clause_ends, start) + opened)))
    return tokens


def content_stems(text: str) -> list[str]:
    """Stems of the non-stop words, in order (all stems when every word is a stop word)."""
    tokens = tokenize(text)
    content = [token.stem for token in tokens if not token.stop]
    return content or [token.stem for token in tokens]


@lru_cache(maxsize=1)
def _background() -> dict[str, float]:
    zipf: dict[str, float] = {}
    data = resources.files("interviewer.grading").joinpath("data/english_zipf.txt").read_text("utf-8")
    for line in data.splitlines():
        if not line or line.startswith("#"):
            continue
        value, *words = line.split()
        for word in words:
            zipf.setdefault(word, float(value))
    return zipf


def compute_background_stems() -> dict[str, float]:
    """The highest Zipf value among the background words sharing each stem."""
    by_stem: dict[str, float] = {}
    for word, value in _background().items():
        key = stem(word)
        if value > by_stem.get(key, 0.0):
            by_stem[key] = value
    return by_stem


STEMS_FILE = "data/english_zipf_stems.txt"


def write_background_stems(path: str) -> None:
    """Write compute_background_stems() in the shipped format (stemming 25,000 words takes
    most of a second, too slow for every start): `python -c "from interviewer.grading.text
    import *; write_background_stems('interviewer/grading/' + STEMS_FILE)"`."""
    by_value: dict[float, list[str]] = {}
    for key, value in compute_background_stems().items():
        by_value.setdefault(value, []).append(key)
    lines = ["# Stems of english_zipf.txt (same source and licence), each with the highest Zipf value",
             "# among its words. Generated by interviewer.grading.text.write_background_stems."]
    lines += [f"{value} {' '.join(sorted(stems))}" for value, stems in sorted(by_value.items(), reverse=True)]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


@lru_cache(maxsize=1)
def _background_stems() -> dict[str, float]:
    by_stem: dict[str, float] = {}
    data = resources.files("interviewer.grading").joinpath(STEMS_FILE).read_text("utf-8")
    for line in data.splitlines():
        if not line or line.startswith("#"):
            continue
        value, *stems = line.split()
        for key in stems:
            by_stem[key] = float(value)
    return by_stem


def is_known_word(lower: str) -> bool:
    return lower in _background()


def zipf_of(lower: str) -> float:
    return _background().get(lower, UNKNOWN_ZIPF)


@lru_cache(maxsize=65536)
def stem_weight(stem_text: str) -> float:
    """How informative a stem is (an IDF from the background): 0 for the commonest words,
    about 4.5 for words rarer than anything in the background list."""
    value = _background_stems().get(stem_text)
    if value is None:
        # a number is no rare word: it weighs like "ten" or "percent" ("1" in "h_{t-1}")
        value = NUMBER_ZIPF if stem_text.isdigit() else UNKNOWN_ZIPF
    return max(0.05, _MAX_ZIPF - value)


_CEASING = frozenset("stop stops stopped cease ceases ceased".split())


def negated_tokens(tokens: list[Token], reach: int = 3) -> list[bool]:
    """Whether each content word is governed by a negation cue: the cue comes before it in
    the same clause, at most `reach` words earlier, with only stop words between ("does not
    use the chain rule", "not the vanishing gradient", but not "cannot rely on co-adapted")."""
    flags = [False] * len(tokens)
    cue: int | None = None
    for index, token in enumerate(tokens):
        if cue is not None and (token.clause != tokens[cue].clause or index - cue > reach):
            cue = None
        if token.lower in NEGATION_CUES or (
            token.lower == "than" and index > 0 and tokens[index - 1].lower == "rather"
        ):
            cue = index
            continue
        if cue is not None and not token.stop and token.lower not in NEGATION_TRANSPARENT:
            flags[index] = True
            cue = None  # the first content word after the cue is what it negates
        elif (token.lower in _CEASING and index + 1 < len(tokens) and tokens[index + 1].lower.endswith("ing")
              and tokens[index + 1].clause == token.clause):
            flags[index + 1] = True  # "stops improving" says it no longer improves
    return flags


# How far a negation reaches. Its cue denies the first content word after it; "no" denies
# the noun phrase it opens ("there is no automatic differentiation"). Past a light verb it
# denies the verb's object too ("does not rely on the chain rule"); past a verb of
# preventing it denies the prevention, so what is prevented is affirmed ("doesn't stop
# neurons from co-adapting"); past an evaluation it denies the clause's subject as well
# ("the scale of the input data doesn't matter", "adding dropout won't help"), and so does a
# light verb in the passive ("the base case is not included").
LIGHT_VERBS = frozenset(
    "rely relies relying depend depends depending use uses using involve involves include includes "
    "contain contains apply applies capture captures".split()
)
PREVENTION_WORDS = frozenset(
    "stop stops prevent prevents avoid avoids block blocks reduce reduces mitigate mitigates "
    "eliminate eliminates limit limits suppress suppresses".split()
)
EVALUATION_WORDS = frozenset(
    "matter matters affect affects affected important relevant help helps fix fixes solve solves "
    "useful work works good fit suitable worth cause causes needed necessary essential".split()
)
# "not only X": no denial. "don't have to write it": a need is denied, not the content.
_NOT_A_DENIAL = frozenset("only just merely".split())
_NEED_WORDS = frozenset("need needs needed have has had".split())
_NO_IDIOMS = frozenset("matter doubt".split())  # "no matter what", "no doubt"
# A light verb in the passive denies its subject: "the base case is not included".
_PASSIVE_LIGHT_VERBS = frozenset("included used applied contained involved captured".split())
# Words that end what a negation reaches.
# (a verb's object also ends at an adjunct of time: "has not improved for a few epochs" denies no
# epochs; see _is_duration)
_SCOPE_BREAKERS = frozenset(
    "and so which that who whom whose where when then since unless until if as than during after within "
    "throughout".split())
_FEW = frozenset("few several many multiple couple".split())
_NOUN_CUES = frozenset("none nothing neither nor without".split())
_WIDE_REACH = 6  # content words a negation reaches past a light verb, prevention or evaluation


def _is_duration(tokens: list[Token], index: int) -> bool:
    """Whether the "for" at INDEX opens a stretch of time ("for a few epochs", "for 5 steps"),
    not a purpose ("required for neural networks")."""
    following = [t.lower for t in tokens[index + 1 : index + 3]]
    return bool(following) and (following[0] in _FEW or following[0].isdigit()
                                or (following[0] == "a" and len(following) > 1 and following[1] in _FEW))


class NegationScope(NamedTuple):
    """Per token: denied by a negation; affirmed through a denied prevention."""

    denied: list[bool]
    prevention_denied: list[bool]


def negation_scope(tokens: list[Token]) -> NegationScope:
    """What each negation cue of the text denies (see the rules above)."""
    denied = [False] * len(tokens)
    through_prevention = [False] * len(tokens)
    for cue, token in enumerate(tokens):
        # "instead of X" and "rather than X" set an alternative against what is said, and
        # answers name the alternative a method avoids ("learns quirks instead of general
        # patterns"): no denial of X. (Claims still compare exclusive terms across them.)
        if token.lower not in NEGATION_CUES or token.lower == "instead":
            continue
        mode, reached, previous = "first", 0, cue
        for index in range(cue + 1, len(tokens)):
            word = tokens[index]
            if word.clause != token.clause or word.lower in NEGATION_CUES:
                break
            idiom = token.lower == "no" and word.lower in _NO_IDIOMS
            need = word.lower in _NEED_WORDS and index + 1 < len(tokens) and tokens[index + 1].lower == "to"
            if mode == "first" and (word.lower in _NOT_A_DENIAL or idiom or need):
                break
            if word.stop or word.lower in NEGATION_TRANSPARENT:
                if (word.lower in _SCOPE_BREAKERS or (word.lower == "for" and _is_duration(tokens, index))) \
                        and mode != "first":
                    break
                continue
            if mode == "first":
                denied[index] = True
                mode = ("object" if word.lower in LIGHT_VERBS else "prevented" if word.lower in PREVENTION_WORDS
                        else "rest" if word.lower in EVALUATION_WORDS or word.lower in _PASSIVE_LIGHT_VERBS
                        else "phrase" if token.lower == "no" else "done" if token.lower in _NOUN_CUES
                        else "object")
                if mode == "rest":  # the subject of a denied evaluation is denied too
                    for before in range(cue - 1, -1, -1):
                        if tokens[before].clause != token.clause:
                            break
                        if not tokens[before].stop:
                            denied[before] = True
            elif mode == "done":
                break
            elif mode == "phrase":  # "no automatic differentiation": the whole noun phrase
                if index != previous + 1:
                    break
                denied[index] = True
            else:
                reached += 1
                if reached > _WIDE_REACH:
                    break
                (through_prevention if mode == "prevented" else denied)[index] = True
            previous = index
    return NegationScope(denied, through_prevention)


def edit_distance_at_most(a: str, b: str, limit: int) -> bool:
    """Damerau-Levenshtein distance (adjacent swaps count once) of a and b is <= limit."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        row_min = current[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous_previous[j - 2] + 1)
            current[j] = value
            row_min = min(row_min, value)
        if row_min > limit:
            return False
        previous_previous, previous = previous, current
    return previous[-1] <= limit


def typo_limit(length: int) -> int:
    """Edits tolerated as a typo for a word of this length: none under 6 letters."""
    if length >= 9:
        return 2
    if length >= 6:
        return 1
    return 0


def is_typo_of(answer_word: str, target_word: str) -> bool:
    """A misspelling of `target_word`: same first letter, a small edit distance, and the
    answer word is no real English word of its own ("decoder" is no typo of "encoder")."""
    if answer_word == target_word or not answer_word or answer_word[0] != target_word[0]:
        return False
    limit = typo_limit(min(len(answer_word), len(target_word)))
    if limit == 0 or is_known_word(answer_word):
        return False
    return edit_distance_at_most(answer_word, target_word, limit)
