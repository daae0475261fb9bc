"""Blend weights measured by `interviewer evaluate --save-weight`, per judge model and bank.

A judge whose own scores agree with human graders earns a large weight; one that does not earns
little or none. Grading with that model on that bank then uses the measured weight.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass

from interviewer.errors import InterviewerError
from interviewer.store.db import connect, utc_now


@dataclass(frozen=True)
class MeasuredWeight:
    model: str
    prompt_version: str
    bank: str
    weight: float
    n: int
    judge_pearson: float | None
    evidence_pearson: float | None
    blend_pearson: float | None
    source: str
    measured_at: str


def _number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def save_weight(db: sqlite3.Connection, weight: MeasuredWeight) -> None:
    db.execute(
            "INSERT OR REPLACE INTO judge_weights (model, prompt_version, bank, weight, n, judge_pearson,"
            " evidence_pearson, blend_pearson, source, measured_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (weight.model, weight.prompt_version, weight.bank, weight.weight, weight.n,
             _number(weight.judge_pearson), _number(weight.evidence_pearson), _number(weight.blend_pearson),
             weight.source, weight.measured_at or utc_now()),
    )


def weights_for(model: str, prompt_version: str, db: sqlite3.Connection | None = None) -> dict[str, float]:
    """{bank: weight} measured for this model and prompt; empty when none was (or no store)."""
    try:
        db = db or connect()
        rows = db.execute("SELECT bank, weight FROM judge_weights WHERE model = ? AND prompt_version = ?",
                          (model, prompt_version)).fetchall()
    except (sqlite3.Error, InterviewerError):
        return {}  # no usable store: the default weight applies
    return {str(row["bank"]): float(row["weight"]) for row in rows}
