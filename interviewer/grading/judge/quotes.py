"""Find the judge's quote in the answer, forgiving whitespace, case, punctuation and small slips.

The judge's quote itself is never shown: the evidence is always the verbatim span of the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

# A quote counts as found when it matches a stretch of the answer at least this closely
# (difflib ratio on the normalised text). 0.85 forgives a slipped word or two in a sentence.
FUZZY_THRESHOLD = 0.85
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.+|\u2026|\[\.\.\.\])\s*")


@dataclass(frozen=True)
class QuoteMatch:
    span: str
    ratio: float


def _normalise(text: str) -> tuple[str, list[int]]:
    """Lowercase letters and digits with single spaces, plus each kept char's index in text."""
    chars: list[str] = []
    where: list[int] = []
    pending_space = False
    for index, ch in enumerate(text):
        if ch.isalnum():
            if pending_space and chars:
                chars.append(" ")
                where.append(index)
            chars.append(ch.lower())
            where.append(index)
            pending_space = False
        else:
            pending_space = True
    return "".join(chars), where


def _find_part(part: str, norm: str, start_at: int) -> tuple[int, int, float] | None:
    """(start, end, ratio) of the part in the normalised answer, searching from start_at."""
    at = norm.find(part, start_at)
    if at != -1:
        return at, at + len(part), 1.0
    size = len(part)
    if size < 12:  # too short to match fuzzily without false hits
        return None
    starts = [start_at] + [m.end() for m in re.finditer(" ", norm[start_at:])]
    best: tuple[int, int, float] | None = None
    matcher = SequenceMatcher(autojunk=False)
    matcher.set_seq2(part)
    for begin in starts:
        begin = begin if begin == start_at else begin + start_at
        for length in {size - size // 10, size, size + size // 10}:
            window = norm[begin:begin + length]
            matcher.set_seq1(window)
            if matcher.real_quick_ratio() < FUZZY_THRESHOLD or matcher.quick_ratio() < FUZZY_THRESHOLD:
                continue
            ratio = matcher.ratio()
            if ratio >= FUZZY_THRESHOLD and (best is None or ratio > best[2]):
                best = (begin, begin + len(window), ratio)
    return best


def find_quote(quote: str, answer: str) -> QuoteMatch | None:
    """The stretch of the answer the quote stands for, or None when the answer does not say it.

    A quote elided with "..." must match piece by piece, in order.
    """
    norm, where = _normalise(answer)
    parts = [p for p in (_normalise(piece)[0] for piece in _ELLIPSIS.split(quote)) if p]
    if not parts or not norm:
        return None
    cursor, first, last, ratios = 0, None, None, []
    for part in parts:
        found = _find_part(part, norm, cursor)
        if found is None:
            return None
        start, end, ratio = found
        first = start if first is None else first
        last, cursor = end, end
        ratios.append(ratio)
    assert first is not None and last is not None
    # Whole words only: a fuzzy window may start or end mid-word or on a space.
    while first < last and norm[first] == " ":
        first += 1
    while last > first and norm[last - 1] == " ":
        last -= 1
    while first > 0 and norm[first - 1] != " ":
        first -= 1
    while last < len(norm) and norm[last] != " ":
        last += 1
    begin, stop = where[first], where[last - 1] + 1
    return QuoteMatch(span=answer[begin:stop], ratio=min(ratios))
