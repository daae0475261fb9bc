"""Delivery figures of a spoken answer, from its transcript's word timestamps. Pure: no I/O.

- words per minute: the words spoken divided by the speaking time, first word's start to last
  word's end (silence before and after does not count);
- filler words: hesitations (`um`, `uh`, `er`, `hmm`, ...) and the words `basically` and
  `literally` always count; `like`, `you know`, `I mean`, `actually`, `so`, `well`, `right`,
  `okay`, `kind of` and `sort of` count only when set off by punctuation (a comma or a sentence
  end right after them, or a comma right before), which is how Whisper writes them when they are
  fillers ("it's, like, a matrix" counts; "looks like a matrix" does not);
- long pauses: gaps of `LONG_PAUSE_SECONDS` or more between one word's end and the next's start;
- most-used words: the words said at least twice, leaving out fillers and function words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from interviewer.grading.text import STOP_WORDS

LONG_PAUSE_SECONDS = 2.0
MOST_USED = 5

ALWAYS_FILLERS = frozenset("um umm uhm uh uhh er erm ah hmm hm mm mhm basically literally".split())
SET_OFF_FILLERS = ("you know", "i mean", "kind of", "sort of", "like", "actually", "so", "well", "right", "okay")
_SET_OFF = tuple(tuple(phrase.split()) for phrase in SET_OFF_FILLERS)
_CANONICAL = {"umm": "um", "uhm": "um", "uhh": "uh", "erm": "er", "hm": "hmm", "mhm": "mm"}
_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")
_BREAK_AFTER = re.compile(r"[,.;:!?\u2026-]$")
_COMMA_BEFORE = re.compile(r"[,;:\u2026-]$")


class TimedWord(Protocol):
    text: str
    start: float
    end: float


@dataclass
class Delivery:
    duration_s: float
    speaking_s: float
    words: int
    words_per_minute: float | None
    fillers: dict[str, int] = field(default_factory=dict)
    filler_count: int = 0
    fillers_per_minute: float | None = None
    long_pauses: list[dict[str, Any]] = field(default_factory=list)
    most_used: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _normal(text: str) -> str:
    match = _WORD.search(text.lower().replace("\u2019", "'"))
    return match.group(0) if match else ""


def find_fillers(words: Sequence[str]) -> tuple[Counter[str], set[int]]:
    """Filler counts (by canonical form) and the positions of the words that are fillers."""
    normal = [_normal(word) for word in words]
    counts: Counter[str] = Counter()
    used: set[int] = set()
    index = 0
    while index < len(words):
        if normal[index] in ALWAYS_FILLERS:
            counts[_CANONICAL.get(normal[index], normal[index])] += 1
            used.add(index)
            index += 1
            continue
        for phrase in _SET_OFF:
            end = index + len(phrase)
            if tuple(normal[index:end]) != phrase:
                continue
            # Inside the phrase no punctuation ("you, know" is not the filler).
            if any(_BREAK_AFTER.search(words[i].strip()) for i in range(index, end - 1)):
                continue
            comma_before = index > 0 and bool(_COMMA_BEFORE.search(words[index - 1].strip()))
            break_after = bool(_BREAK_AFTER.search(words[end - 1].strip()))
            if comma_before or break_after:
                counts[" ".join(phrase)] += 1
                used.update(range(index, end))
                index = end
                break
        else:
            index += 1
    return counts, used


def measure(words: Sequence[TimedWord], duration_s: float) -> Delivery:
    """The delivery figures of one recording's words (with timestamps) and its length."""
    spoken = [word for word in words if _normal(word.text)]
    texts = [word.text for word in spoken]
    fillers, filler_positions = find_fillers(texts)
    speaking = max(0.0, spoken[-1].end - spoken[0].start) if spoken else 0.0
    minutes = speaking / 60.0
    pauses = []
    for before, after in zip(spoken, spoken[1:]):
        gap = after.start - before.end
        if gap >= LONG_PAUSE_SECONDS:
            pauses.append({"at_s": round(before.end, 2), "seconds": round(gap, 2), "after": before.text.strip()})
    content = Counter(
        _normal(text) for position, text in enumerate(texts)
        if position not in filler_positions and _normal(text) not in STOP_WORDS and len(_normal(text)) > 2
    )
    most_used = [{"word": word, "count": count} for word, count in
                 sorted(content.items(), key=lambda item: (-item[1], item[0])) if count >= 2][:MOST_USED]
    filler_count = sum(fillers.values())
    return Delivery(
        duration_s=round(duration_s, 2), speaking_s=round(speaking, 2), words=len(spoken),
        words_per_minute=round(len(spoken) / minutes, 1) if speaking >= 1.0 else None,
        fillers=dict(sorted(fillers.items(), key=lambda item: (-item[1], item[0]))), filler_count=filler_count,
        fillers_per_minute=round(filler_count / minutes, 1) if speaking >= 1.0 else None,
        long_pauses=pauses, most_used=most_used,
    )
