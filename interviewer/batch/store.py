"""Batch runs in the store: a session of kind 'batch' per (submissions file, output file).

A turn's position is its row's 0-based index in the submissions file (rows that could
not be graded have no turn), so a resumed run can drop exactly the turns the output
file does not have yet, and find a row's grade again for the report.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interviewer.grading.models import Grade
from interviewer.store.db import utc_now
from interviewer.store.transcripts import (
    _INSERT_GRADE,
    BATCH,
    _as_json,
    _grade_row,
    _store_snapshot,
    create_session,
    finish_session,
)

if TYPE_CHECKING:
    from interviewer.batch.grading import BatchResult


def create_batch_session(
    db: sqlite3.Connection, *, source: Path, output: Path, grader: str, settings: Mapping[str, Any]
) -> str:
    return create_session(db, kind=BATCH, grader=grader, source=str(source),
                          settings={**settings, "output": str(output)})


def find_batch_session(db: sqlite3.Connection, source: Path, output: Path) -> str | None:
    """The latest batch session that graded SOURCE into OUTPUT (absolute paths)."""
    for row in db.execute(
        "SELECT id, settings FROM sessions WHERE kind = ? AND source = ? ORDER BY started_at DESC, rowid DESC",
        (BATCH, str(source)),
    ):
        try:
            settings = json.loads(row["settings"] or "{}")
        except json.JSONDecodeError:
            continue
        if isinstance(settings, dict) and settings.get("output") == str(output):
            return str(row["id"])
    return None


def session_grader(db: sqlite3.Connection, session_id: str) -> str | None:
    row = db.execute("SELECT grader FROM sessions WHERE id = ?", (session_id,)).fetchone()
    return row["grader"] if row else None


class SnapshotRefs:
    """The stored snapshot references of each question seen in a run, made once per question."""

    LIMIT = 4096

    def __init__(self) -> None:
        self._refs: dict[int, tuple[Any, str, str]] = {}

    def get(self, db: sqlite3.Connection, item: Any) -> tuple[str, str]:
        found = self._refs.get(id(item))
        if found is None or found[0] is not item:
            if len(self._refs) >= self.LIMIT:
                self._refs.clear()
            found = (item, _store_snapshot(db, _as_json(item.question)), _store_snapshot(db, _as_json(item.rubric)))
            self._refs[id(item)] = found
        return found[1], found[2]


def record_chunk(
    db: sqlite3.Connection,
    session_id: str,
    results: Sequence[BatchResult],
    *,
    replace_from: int | None = None,
    snapshots: SnapshotRefs | None = None,
) -> None:
    """Write the graded rows of one chunk (a turn and a grade each) in one transaction.

    `replace_from` (a 1-based row number) first drops this session's turns from that row
    on: rows an interrupted run committed here but never wrote to its output.
    """
    now = utc_now()
    snapshots = snapshots or SnapshotRefs()
    graded = [result for result in results if result.grade is not None and result.item is not None]
    db.execute("BEGIN IMMEDIATE")
    try:
        if replace_from is not None:
            stale = "SELECT id FROM turns WHERE session_id = ? AND position >= ?"
            db.execute(f"DELETE FROM grades WHERE turn_id IN ({stale})", (session_id, replace_from - 1))
            db.execute("DELETE FROM turns WHERE session_id = ? AND position >= ?", (session_id, replace_from - 1))
        next_id = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM turns").fetchone()[0]
        turns, grades = [], []
        for offset, result in enumerate(graded):
            item, submission = result.item, result.submission
            question_ref, rubric_ref = snapshots.get(db, item)
            turns.append((
                next_id + offset, session_id, submission.row - 1, "submission", None, item.id,
                question_ref, rubric_ref,
                submission.candidate or None, submission.answer, "answered", now, now, None,
                submission.audio or None, json.dumps(submission.delivery) if submission.delivery else None,
            ))
            grades.append(_grade_row(next_id + offset, result.grade, now))
        db.executemany(
            "INSERT INTO turns (id, session_id, position, kind, parent_turn_id, question_id, question, rubric, "
            "candidate, answer, status, asked_at, answered_at, seconds, audio, delivery) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            turns,
        )
        db.executemany(_INSERT_GRADE, grades)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # SQLite has already rolled back after some errors (a full disk)
            db.execute("ROLLBACK")
        raise


def stored_grade(db: sqlite3.Connection, session_id: str, row: int) -> Grade | None:
    """The latest grade recorded for a row (1-based) of this batch session."""
    found = db.execute(
        "SELECT g.grade FROM grades g JOIN turns t ON t.id = g.turn_id "
        "WHERE t.session_id = ? AND t.position = ? ORDER BY g.id DESC LIMIT 1",
        (session_id, row - 1),
    ).fetchone()
    if found is None:
        return None
    try:
        return Grade.model_validate_json(found[0])
    except ValueError:
        return None


def finish_batch_session(db: sqlite3.Connection, session_id: str) -> None:
    finish_session(db, session_id)


def drop_if_empty(db: sqlite3.Connection, session_id: str) -> None:
    """Delete a batch session that recorded no answer (a run that failed or was stopped early).

    Best effort: on a full disk or read-only store the session stays, unfinished.
    """
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM turns WHERE session_id = ? LIMIT 1", (session_id,)).fetchone() is None:
                db.execute("DELETE FROM sessions WHERE id = ? AND kind = ?", (session_id, BATCH))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    except sqlite3.Error:
        pass


def database_file(db: sqlite3.Connection) -> str:
    """The file of the connection's main database."""
    for row in db.execute("PRAGMA database_list"):
        if row[1] == "main":
            return str(row[2])
    return "the transcript database"
