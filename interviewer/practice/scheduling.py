"""Which questions a practice session asks, and spaced repetition (FSRS) after each answer.

Default order: questions never asked come first, then the least recently asked; ties are
broken by a random shuffle (seeded by --seed). With --due, FSRS decides: questions whose
card is due come first (most overdue first); a question never asked has a new card, and a
new FSRS card is due at once, so those fill the rest.

A grade becomes an FSRS rating by its verdict band: strong -> Easy, good -> Good,
partial -> Hard, weak -> Again. A skipped question counts as Again.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from interviewer.bank.models import BankQuestion
from interviewer.grading.models import Verdict
from interviewer.store import transcripts

if TYPE_CHECKING:
    from fsrs import Rating

# FSRS ratings by value (fsrs.Rating): Again=1, Hard=2, Good=3, Easy=4.
VERDICT_RATINGS: dict[Verdict, int] = {
    Verdict.strong: 4,
    Verdict.good: 3,
    Verdict.partial: 2,
    Verdict.weak: 1,
}
SKIPPED_RATING = 1


def iso(moment: datetime) -> str:
    """A sortable UTC timestamp: due times are compared as text."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _shuffled(items: Sequence[BankQuestion], seed: int | None) -> list[BankQuestion]:
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    return shuffled


def least_recent_first(
    candidates: Sequence[BankQuestion], last_asked: Mapping[str, str], *, seed: int | None = None
) -> list[BankQuestion]:
    """Never-asked questions first, then by when each was last asked (oldest first)."""
    return sorted(
        _shuffled(candidates, seed),
        key=lambda item: (item.id in last_asked, last_asked.get(item.id, "")),
    )


def due_first(
    candidates: Sequence[BankQuestion],
    cards: Mapping[str, transcripts.CardRecord],
    *,
    now: datetime | None = None,
    seed: int | None = None,
) -> list[BankQuestion]:
    """Only what is due now: reviewed cards past their due time (most overdue first), then new ones."""
    moment = iso(now or datetime.now(timezone.utc))
    overdue = [item for item in candidates if item.id in cards and cards[item.id].due <= moment]
    overdue.sort(key=lambda item: cards[item.id].due)
    fresh = [item for item in _shuffled(candidates, seed) if item.id not in cards]
    return overdue + fresh


def next_due_time(candidates: Sequence[BankQuestion], cards: Mapping[str, transcripts.CardRecord]) -> str | None:
    dues = [cards[item.id].due for item in candidates if item.id in cards]
    return min(dues) if dues else None


def choose_questions(
    db: sqlite3.Connection,
    candidates: Sequence[BankQuestion],
    *,
    count: int,
    due: bool = False,
    seed: int | None = None,
    now: datetime | None = None,
) -> list[BankQuestion]:
    if due:
        ordered = due_first(candidates, transcripts.get_cards(db), now=now, seed=seed)
    else:
        ordered = least_recent_first(candidates, transcripts.last_asked(db), seed=seed)
    return ordered[:count]


def rating_for(verdict: Verdict | None) -> int:
    return SKIPPED_RATING if verdict is None else VERDICT_RATINGS[verdict]


def record_review(
    db: sqlite3.Connection, question_id: str, verdict: Verdict | None, *, when: datetime | None = None
) -> datetime:
    """Update the question's FSRS card after an answer (verdict None = skipped); returns the next due time."""
    from fsrs import Card, Rating, Scheduler  # small, but only practice needs it

    when = when or datetime.now(timezone.utc)
    stored = transcripts.get_cards(db).get(question_id)
    card = Card.from_dict(stored.card) if stored else Card()  # type: ignore[arg-type]
    rating: Rating = Rating(rating_for(verdict))
    card, _ = Scheduler(enable_fuzzing=False).review_card(card, rating, review_datetime=when)
    transcripts.save_card(
        db, question_id, card.to_dict(), due=iso(card.due),
        last_review=iso(card.last_review) if card.last_review else None, rating=int(rating),
    )
    return card.due
