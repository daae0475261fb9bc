"""Sessions, turns and grades: the transcript API every command writes through.

The connection is in autocommit mode, so each call is on disk when it returns: an
answer added with `add_turn` survives a crash during the grading that follows.

Question and rubric snapshots are stored once in `snapshots` (keyed by a hash of their
JSON); `turns.question` / `turns.rubric` then hold `{"snapshot": HASH}`. Rows written
before that table existed hold the full JSON and read back the same way.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from interviewer.errors import InputError
from interviewer.grading.models import Grade
from interviewer.store.db import utc_now

PRACTICE = "practice"
BATCH = "batch"


# ---------------------------------------------------------------- records read back


@dataclass
class SessionRecord:
    id: str
    kind: str
    started_at: str
    finished_at: str | None
    level: str | None
    topics: list[str]
    grader: str | None
    settings: dict[str, Any]
    source: str | None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


@dataclass
class GradeRecord:
    id: int
    turn_id: int
    grader: str
    grader_version: str
    score: float
    verdict: str
    grade: Grade
    created_at: str


@dataclass
class TurnRecord:
    id: int
    session_id: str
    position: int
    kind: str
    parent_turn_id: int | None
    question_id: str
    question: dict[str, Any]
    rubric: dict[str, Any] | None
    candidate: str | None
    answer: str | None
    status: str
    asked_at: str
    answered_at: str | None
    seconds: float | None
    grades: list[GradeRecord] = field(default_factory=list)
    audio: str | None = None  # a spoken answer's recording, as stored (see audio_path)
    delivery: dict[str, Any] | None = None  # its delivery figures

    @property
    def latest_grade(self) -> GradeRecord | None:
        return self.grades[-1] if self.grades else None

    @property
    def prompt(self) -> str:
        return str(self.question.get("prompt", ""))


@dataclass
class SessionSummary:
    """One line of `interviewer history`."""

    session: SessionRecord
    answered: int
    skipped: int
    planned: int | None
    mean_score: float | None


@dataclass
class TurnInput:
    """One turn for `add_turns_many` (batch runs)."""

    question: BaseModel | Mapping[str, Any]
    answer: str | None
    rubric: BaseModel | Mapping[str, Any] | None = None
    candidate: str | None = None
    kind: str = "submission"
    status: str = "answered"
    question_id: str | None = None
    parent_turn_id: int | None = None
    asked_at: str | None = None
    answered_at: str | None = None
    seconds: float | None = None
    audio: str | None = None
    delivery: Mapping[str, Any] | None = None


# ---------------------------------------------------------------- snapshots


def _as_json(value: BaseModel | Mapping[str, Any]) -> str:
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _store_snapshot(db: sqlite3.Connection, body: str, known: dict[str, str] | None = None) -> str:
    """Keep one copy of BODY; return the small reference the turn row holds."""
    if known is not None and body in known:
        return known[body]
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]
    db.execute("INSERT OR IGNORE INTO snapshots (hash, body) VALUES (?, ?)", (digest, body))
    reference = json.dumps({"snapshot": digest})
    if known is not None:
        known[body] = reference
    return reference


class _SnapshotReader:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.cache: dict[str, dict[str, Any]] = {}

    def load(self, stored: str | None) -> dict[str, Any] | None:
        if stored is None:
            return None
        value = json.loads(stored)
        if isinstance(value, dict) and set(value) == {"snapshot"}:
            digest = value["snapshot"]
            if digest not in self.cache:
                row = self.db.execute("SELECT body FROM snapshots WHERE hash = ?", (digest,)).fetchone()
                self.cache[digest] = json.loads(row[0]) if row else {}
            return self.cache[digest]
        return value


# ---------------------------------------------------------------- writing


def new_session_id() -> str:
    return uuid.uuid4().hex


def create_session(
    db: sqlite3.Connection,
    *,
    kind: str = PRACTICE,
    level: str | None = None,
    topics: Sequence[str] = (),
    grader: str | None = None,
    settings: Mapping[str, Any] | None = None,
    source: str | None = None,
    session_id: str | None = None,
) -> str:
    """Start a session (practice or batch); returns its id."""
    session_id = session_id or new_session_id()
    db.execute(
        "INSERT INTO sessions (id, kind, started_at, level, topics, grader, settings, source) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (session_id, kind, utc_now(), level, json.dumps(list(topics)), grader,
         json.dumps(dict(settings or {}), ensure_ascii=False, default=str), source),
    )
    return session_id


def update_settings(db: sqlite3.Connection, session_id: str, settings: Mapping[str, Any]) -> None:
    db.execute(
        "UPDATE sessions SET settings = ? WHERE id = ?",
        (json.dumps(dict(settings), ensure_ascii=False, default=str), session_id),
    )


def finish_session(db: sqlite3.Connection, session_id: str, *, finished_at: str | None = None) -> None:
    db.execute("UPDATE sessions SET finished_at = ? WHERE id = ?", (finished_at or utc_now(), session_id))


def save_draft(db: sqlite3.Connection, session_id: str, question_id: str, text: str) -> None:
    """Keep the answer typed so far (committed on return); an empty text drops the draft
    (unless a recording is kept with it)."""
    if not text.strip():
        db.execute("UPDATE drafts SET text = '' WHERE session_id = ? AND question_id = ?", (session_id, question_id))
        db.execute("DELETE FROM drafts WHERE session_id = ? AND question_id = ? AND audio IS NULL",
                   (session_id, question_id))
        return
    db.execute(
        "INSERT INTO drafts (session_id, question_id, text, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (session_id, question_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
        (session_id, question_id, text, utc_now()),
    )


def load_draft(db: sqlite3.Connection, session_id: str, question_id: str) -> str | None:
    row = db.execute(
        "SELECT text FROM drafts WHERE session_id = ? AND question_id = ?", (session_id, question_id)
    ).fetchone()
    return row[0] or None if row else None


def save_draft_audio(db: sqlite3.Connection, session_id: str, question_id: str, audio: str | None) -> None:
    """Note the recording of an answer being spoken (committed on return, before any sound is
    captured), so a session killed mid-answer offers it back; None forgets it."""
    db.execute(
        "INSERT INTO drafts (session_id, question_id, text, audio, updated_at) VALUES (?, ?, '', ?, ?) "
        "ON CONFLICT (session_id, question_id) DO UPDATE SET audio = excluded.audio, updated_at = excluded.updated_at",
        (session_id, question_id, audio, utc_now()),
    )
    db.execute("DELETE FROM drafts WHERE session_id = ? AND question_id = ? AND audio IS NULL AND text = ''",
               (session_id, question_id))


def load_draft_audio(db: sqlite3.Connection, session_id: str, question_id: str) -> str | None:
    row = db.execute(
        "SELECT audio FROM drafts WHERE session_id = ? AND question_id = ?", (session_id, question_id)
    ).fetchone()
    return row[0] if row else None


def clear_draft(db: sqlite3.Connection, session_id: str, question_id: str) -> None:
    db.execute("DELETE FROM drafts WHERE session_id = ? AND question_id = ?", (session_id, question_id))


def add_turn(
    db: sqlite3.Connection,
    session_id: str,
    *,
    question: BaseModel | Mapping[str, Any],
    answer: str | None,
    rubric: BaseModel | Mapping[str, Any] | None = None,
    candidate: str | None = None,
    kind: str = "question",
    status: str = "answered",
    question_id: str | None = None,
    parent_turn_id: int | None = None,
    asked_at: str | None = None,
    answered_at: str | None = None,
    seconds: float | None = None,
    audio: str | None = None,
    delivery: Mapping[str, Any] | None = None,
) -> int:
    """Record one turn (committed on return) at the next position of the session; returns its id."""
    question_json = _as_json(question)
    question_id = question_id or json.loads(question_json).get("id") or ""
    now = utc_now()
    cursor = db.execute(
        "INSERT INTO turns (session_id, position, kind, parent_turn_id, question_id, question, rubric, "
        "candidate, answer, status, asked_at, answered_at, seconds, audio, delivery) "
        "VALUES (?, (SELECT COALESCE(MAX(position) + 1, 0) FROM turns WHERE session_id = ?), "
        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (session_id, session_id, kind, parent_turn_id, question_id,
         _store_snapshot(db, question_json),
         _store_snapshot(db, _as_json(rubric)) if rubric is not None else None,
         candidate, answer, status, asked_at or now,
         answered_at or (now if status == "answered" else None), seconds, audio, _delivery_json(delivery)),
    )
    return int(cursor.lastrowid)


def _delivery_json(delivery: Mapping[str, Any] | None) -> str | None:
    return json.dumps(dict(delivery), ensure_ascii=False) if delivery is not None else None


def add_turns_many(db: sqlite3.Connection, session_id: str, turns: Iterable[TurnInput]) -> list[int]:
    """Record many turns in one transaction (executemany); returns their ids in order."""
    now = utc_now()
    known: dict[str, str] = {}
    db.execute("BEGIN IMMEDIATE")
    try:
        # Holding the write lock, the next ids and positions are ours to hand out.
        next_id = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM turns").fetchone()[0]
        position = db.execute(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM turns WHERE session_id = ?", (session_id,)
        ).fetchone()[0]
        rows = []
        for offset, turn in enumerate(turns):
            question_json = _as_json(turn.question)
            question_id = turn.question_id or (
                turn.question.id if isinstance(turn.question, BaseModel) else turn.question.get("id")  # type: ignore[attr-defined]
            ) or ""
            rows.append((
                next_id + offset, session_id, position + offset, turn.kind, turn.parent_turn_id, question_id,
                _store_snapshot(db, question_json, known),
                _store_snapshot(db, _as_json(turn.rubric), known) if turn.rubric is not None else None,
                turn.candidate, turn.answer, turn.status, turn.asked_at or now,
                turn.answered_at or (now if turn.status == "answered" else None), turn.seconds,
                turn.audio, _delivery_json(turn.delivery),
            ))
        db.executemany(
            "INSERT INTO turns (id, session_id, position, kind, parent_turn_id, question_id, question, rubric, "
            "candidate, answer, status, asked_at, answered_at, seconds, audio, delivery) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return [row[0] for row in rows]


def _grade_row(turn_id: int, grade: Grade, created_at: str) -> tuple[Any, ...]:
    return (turn_id, grade.grader, grade.grader_version, grade.score, grade.verdict.value,
            grade.model_dump_json(), created_at)


_INSERT_GRADE = (
    "INSERT INTO grades (turn_id, grader, grader_version, score, verdict, grade, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def add_grade(db: sqlite3.Connection, turn_id: int, grade: Grade) -> int:
    """Record a grade for a turn (a turn may hold several: regrading keeps the old ones)."""
    return int(db.execute(_INSERT_GRADE, _grade_row(turn_id, grade, utc_now())).lastrowid)


def add_grades_many(db: sqlite3.Connection, grades: Iterable[tuple[int, Grade]]) -> int:
    """Record many (turn_id, grade) pairs in one transaction; returns how many."""
    now = utc_now()
    rows = [_grade_row(turn_id, grade, now) for turn_id, grade in grades]
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany(_INSERT_GRADE, rows)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return len(rows)


# ---------------------------------------------------------------- reading


def _session(row: sqlite3.Row) -> SessionRecord:
    return SessionRecord(
        id=row["id"], kind=row["kind"], started_at=row["started_at"], finished_at=row["finished_at"],
        level=row["level"], topics=json.loads(row["topics"] or "[]"), grader=row["grader"],
        settings=json.loads(row["settings"] or "{}"), source=row["source"],
    )


def get_session(db: sqlite3.Connection, session_id: str) -> SessionRecord:
    row = db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        raise InputError(f"no session with id '{session_id}' (see `interviewer history`)")
    return _session(row)


def find_session(db: sqlite3.Connection, reference: str | None = "latest", *, kind: str | None = None) -> SessionRecord:
    """A session by id, unique id prefix, or 'latest' (the most recently started)."""
    reference = (reference or "latest").strip()
    kind_clause, kind_args = (" AND kind = ?", (kind,)) if kind else ("", ())
    if reference.lower() == "latest":
        row = db.execute(
            f"SELECT * FROM sessions WHERE 1 = 1{kind_clause} ORDER BY started_at DESC, rowid DESC LIMIT 1",
            kind_args,
        ).fetchone()
        if row is None:
            raise InputError("no sessions yet: start one with `interviewer practice`")
        return _session(row)
    rows = db.execute(
        f"SELECT * FROM sessions WHERE id LIKE ? ESCAPE '\\'{kind_clause} ORDER BY started_at DESC LIMIT 6",
        (reference.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%", *kind_args),
    ).fetchall()
    if not rows:
        raise InputError(f"no session with id '{reference}' (see `interviewer history`)")
    exact = [row for row in rows if row["id"] == reference]
    if len(rows) > 1 and not exact:
        ids = ", ".join(row["id"][:12] for row in rows[:5])
        raise InputError(f"session id prefix '{reference}' is ambiguous ({ids}...): give more characters")
    return _session(exact[0] if exact else rows[0])


def latest_unfinished(db: sqlite3.Connection, kind: str = PRACTICE) -> SessionRecord | None:
    row = db.execute(
        "SELECT * FROM sessions WHERE kind = ? AND finished_at IS NULL ORDER BY started_at DESC, rowid DESC LIMIT 1",
        (kind,),
    ).fetchone()
    return _session(row) if row else None


def _grades_for(db: sqlite3.Connection, session_id: str) -> dict[int, list[GradeRecord]]:
    grades: dict[int, list[GradeRecord]] = {}
    for row in db.execute(
        "SELECT g.* FROM grades g JOIN turns t ON t.id = g.turn_id WHERE t.session_id = ? ORDER BY g.id",
        (session_id,),
    ):
        grades.setdefault(row["turn_id"], []).append(GradeRecord(
            id=row["id"], turn_id=row["turn_id"], grader=row["grader"], grader_version=row["grader_version"],
            score=row["score"], verdict=row["verdict"], grade=Grade.model_validate_json(row["grade"]),
            created_at=row["created_at"],
        ))
    return grades


def session_turns(db: sqlite3.Connection, session_id: str, *, with_grades: bool = True) -> list[TurnRecord]:
    """Every turn of a session in order, each with all its grades (oldest first)."""
    snapshots = _SnapshotReader(db)
    grades = _grades_for(db, session_id) if with_grades else {}
    turns = []
    for row in db.execute("SELECT * FROM turns WHERE session_id = ? ORDER BY position, id", (session_id,)):
        turns.append(TurnRecord(
            id=row["id"], session_id=row["session_id"], position=row["position"], kind=row["kind"],
            parent_turn_id=row["parent_turn_id"], question_id=row["question_id"],
            question=snapshots.load(row["question"]) or {}, rubric=snapshots.load(row["rubric"]),
            candidate=row["candidate"], answer=row["answer"], status=row["status"], asked_at=row["asked_at"],
            answered_at=row["answered_at"], seconds=row["seconds"], grades=grades.get(row["id"], []),
            audio=row["audio"], delivery=json.loads(row["delivery"]) if row["delivery"] else None,
        ))
    return turns


def list_sessions(db: sqlite3.Connection, *, limit: int | None = None, kind: str | None = None) -> list[SessionSummary]:
    """Sessions, newest first, with answered counts and the mean of each main turn's latest grade."""
    kind_clause, args = ("WHERE s.kind = ?", [kind]) if kind else ("", [])
    limit_clause = ""
    if limit is not None:
        limit_clause = " LIMIT ?"
        args.append(limit)
    rows = db.execute(
        f"""
        SELECT s.*,
               (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id AND t.kind != 'follow_up'
                    AND t.status = 'answered') AS answered,
               (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id AND t.kind != 'follow_up'
                    AND t.status = 'skipped') AS skipped,
               (SELECT AVG((SELECT g.score FROM grades g WHERE g.turn_id = t.id ORDER BY g.id DESC LIMIT 1))
                    FROM turns t WHERE t.session_id = s.id AND t.kind != 'follow_up'
                    AND t.status = 'answered') AS mean_score
        FROM sessions s {kind_clause}
        ORDER BY s.started_at DESC, s.rowid DESC{limit_clause}
        """,
        args,
    ).fetchall()
    summaries = []
    for row in rows:
        session = _session(row)
        plan = session.settings.get("plan")
        summaries.append(SessionSummary(
            session=session, answered=row["answered"], skipped=row["skipped"],
            planned=len(plan) if isinstance(plan, list) else None, mean_score=row["mean_score"],
        ))
    return summaries


def last_asked(db: sqlite3.Connection, kind: str = PRACTICE) -> dict[str, str]:
    """When each question was last asked (answered or skipped) in a session of this kind."""
    return {
        row[0]: row[1]
        for row in db.execute(
            "SELECT t.question_id, MAX(t.asked_at) FROM turns t JOIN sessions s ON s.id = t.session_id "
            "WHERE s.kind = ? AND t.kind = 'question' GROUP BY t.question_id",
            (kind,),
        )
    }


# ---------------------------------------------------------------- spaced repetition cards


@dataclass
class CardRecord:
    question_id: str
    card: dict[str, Any]
    due: str
    last_review: str | None
    last_rating: int | None
    reviews: int


def get_cards(db: sqlite3.Connection) -> dict[str, CardRecord]:
    return {
        row["question_id"]: CardRecord(
            question_id=row["question_id"], card=json.loads(row["card"]), due=row["due"],
            last_review=row["last_review"], last_rating=row["last_rating"], reviews=row["reviews"],
        )
        for row in db.execute("SELECT * FROM question_cards")
    }


def save_card(
    db: sqlite3.Connection, question_id: str, card: Mapping[str, Any], *, due: str,
    last_review: str | None, rating: int,
) -> None:
    db.execute(
        "INSERT INTO question_cards (question_id, card, due, last_review, last_rating, reviews, updated_at) "
        "VALUES (?, ?, ?, ?, ?, 1, ?) "
        "ON CONFLICT(question_id) DO UPDATE SET card = excluded.card, due = excluded.due, "
        "last_review = excluded.last_review, last_rating = excluded.last_rating, "
        "reviews = question_cards.reviews + 1, updated_at = excluded.updated_at",
        (question_id, json.dumps(dict(card)), due, last_review, rating, utc_now()),
    )
