"""The follow-up question an interviewer asks about the weakest point of an answer.

A rubric concept may carry its own question (`follow_up:` in the rubric file); otherwise one
is built from the concept's label. A concept's description is never turned into the
question: it states the answer ("class imbalance means one class outnumbers another"), so
asking the candidate to explain *why* it holds gives the answer away and reads like a form.
"""

from __future__ import annotations

import re
from functools import lru_cache

from interviewer.bank.models import Concept
from interviewer.grading.models import ConceptStatus

_PLAIN_WORD = re.compile(r"^[A-Z]?[a-z]+(-[a-z]+)*$")
# A word written like a name or code (TensorFlow, AUTOTUNE, tf.data, class_weight, Word2Vec).
_NAME_LIKE = re.compile(r"[A-Z].*[A-Z]|[._()=/\d]|^[A-Z]{2,}")
_DETERMINERS = frozenset("a an the its their this these that those each every no one all both some".split())
# Nouns ending like these are usually uncountable ("normalization", "padding", "patience")
# and take no article.
_MASS_ENDINGS = ("ing", "tion", "sion", "ment", "ness", "ity", "ance", "ence", "ics", "ism")
_NOT_PLURAL_ENDINGS = ("ss", "us", "is")
QUOTE_LIMIT = 80


def _in_sentence(label: str) -> str:
    """'Chain Rule' -> 'chain rule', 'Cell state' -> 'cell state'; names and code stay as written,
    and so does a capital inside a sentence-case label ('Automatic differentiation in TensorFlow')."""
    words = label.split()
    title_case = all(word[:1].isupper() for word in words if word[:1].isalpha())
    return " ".join(
        word.lower() if (title_case or index == 0) and _PLAIN_WORD.match(word) and not _NAME_LIKE.search(word)
        else word
        for index, word in enumerate(words))


@lru_cache(maxsize=4096)
def _is_plural(phrase: str) -> bool:
    last = phrase.split()[-1] if phrase.split() else ""
    if _NAME_LIKE.search(last):  # pad_sequences, ModelCheckpoint: one thing, whatever its spelling
        return False
    return last.lower().endswith("s") and not last.lower().endswith(_NOT_PLURAL_ENDINGS)


@lru_cache(maxsize=4096)  # the same few labels come back grade after grade
def noun_phrase(label: str) -> str:
    """The label as it reads inside a sentence, with 'the' before a singular countable noun."""
    phrase = _in_sentence(label.strip())
    words = phrase.split()
    if not words:
        return phrase
    first, last = words[0], words[-1].lower()
    if (first.lower() in _DETERMINERS or _NAME_LIKE.search(first) or _NAME_LIKE.search(words[-1])
            or _is_plural(phrase) or last.endswith(_MASS_ENDINGS)):
        return phrase
    return f"the {phrase}"


def _short(text: str) -> str:
    """The candidate's words as they go between double quotes: one line, at most QUOTE_LIMIT."""
    text = " ".join(text.split()).strip(" .").replace('"', "'")
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1].rstrip() + "…"


def follow_up_question(concept: Concept, status: ConceptStatus, said: str | None = None) -> str:
    """The question on `concept`, which the answer left `status` (missing or partly covered);
    `said` is what the answer asserted against it, if anything, and is put to the candidate."""
    authored = concept.follow_up.strip()
    phrase = noun_phrase(concept.label)
    plural = _is_plural(phrase)
    if said:
        ask = authored or f"What role {'do' if plural else 'does'} {phrase} play here?"
        return f'You said "{_short(said)}". Are you sure about that? {ask}'
    if authored:
        return authored
    pronoun, verb = ("they", "do") if plural else ("it", "does")
    if status is ConceptStatus.partly:
        return (f"You only touched on {phrase}. Can you say more: what {verb} {pronoun} do here, "
                f"and why {'do' if plural else 'does'} {pronoun} matter?")
    return f"You didn't mention {phrase}. What role {verb} {pronoun} play here?"
