"""Named schema migrations, each applied once and recorded in `migrations`.

Append new migrations at the end; never edit or reorder one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: `executescript` would commit the migration's transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""


def m001_initial(db: sqlite3.Connection) -> None:
    run_script(db, 
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL DEFAULT 'practice',      -- practice | batch
            started_at TEXT NOT NULL,
            finished_at TEXT,
            level TEXT,
            topics TEXT NOT NULL DEFAULT '[]',          -- JSON list
            grader TEXT,
            settings TEXT NOT NULL DEFAULT '{}',        -- JSON: options the session ran with
            source TEXT                                 -- batch input file
        );
        CREATE TABLE turns (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(id),
            position INTEGER NOT NULL,
            kind TEXT NOT NULL DEFAULT 'question',      -- question | follow_up | submission
            parent_turn_id INTEGER REFERENCES turns(id),
            question_id TEXT NOT NULL,
            question TEXT NOT NULL,                     -- JSON snapshot of the question as asked
            rubric TEXT,                                -- JSON snapshot of the rubric
            candidate TEXT,
            answer TEXT,
            status TEXT NOT NULL DEFAULT 'answered',    -- answered | skipped
            asked_at TEXT NOT NULL,
            answered_at TEXT,
            seconds REAL
        );
        CREATE INDEX turns_session ON turns(session_id, position);
        CREATE INDEX turns_question ON turns(question_id);
        CREATE TABLE grades (
            id INTEGER PRIMARY KEY,
            turn_id INTEGER NOT NULL REFERENCES turns(id),
            grader TEXT NOT NULL,
            grader_version TEXT NOT NULL,
            score REAL NOT NULL,
            verdict TEXT NOT NULL,
            grade TEXT NOT NULL,                        -- full Grade JSON
            created_at TEXT NOT NULL
        );
        CREATE INDEX grades_turn ON grades(turn_id);
        CREATE TABLE judge_cache (
            key TEXT PRIMARY KEY,                       -- hash of model, base URL, prompt version, question+rubric, answer
            model TEXT NOT NULL,
            base_url TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            reply TEXT NOT NULL,                        -- validated judge reply JSON
            usage TEXT NOT NULL DEFAULT '{}',           -- token usage JSON
            created_at TEXT NOT NULL
        );
        """
    )


def m002_snapshots_and_cards(db: sqlite3.Connection) -> None:
    run_script(db,
        """
        -- One copy of each question/rubric snapshot: a batch run of 100k turns on ten
        -- questions stores ten snapshots, and turns.question/rubric hold {"snapshot": hash}.
        CREATE TABLE snapshots (
            hash TEXT PRIMARY KEY,
            body TEXT NOT NULL
        );
        -- Spaced repetition state (an FSRS card) per question, updated after each practice answer.
        CREATE TABLE question_cards (
            question_id TEXT PRIMARY KEY,
            card TEXT NOT NULL,                         -- fsrs Card JSON
            due TEXT NOT NULL,
            last_review TEXT,
            last_rating INTEGER,
            reviews INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX question_cards_due ON question_cards(due);
        CREATE INDEX sessions_started ON sessions(started_at);
        """
    )


def m003_drafts(db: sqlite3.Connection) -> None:
    run_script(db,
        """
        -- The lines of an answer still being typed, saved as each is entered: a session stopped
        -- mid-answer (Ctrl-C, /quit, a crash, kill -9) offers them back when it is resumed.
        CREATE TABLE drafts (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            question_id TEXT NOT NULL,
            text TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (session_id, question_id)
        );
        """
    )


def m004_voice(db: sqlite3.Connection) -> None:
    run_script(db,
        """
        -- Spoken answers: the recording (a path relative to the database's folder, or absolute)
        -- and its delivery figures (JSON: words per minute, fillers, long pauses, most-used words).
        ALTER TABLE turns ADD COLUMN audio TEXT;
        ALTER TABLE turns ADD COLUMN delivery TEXT;
        -- The recording of an answer still being spoken: kept, and offered back on --resume.
        ALTER TABLE drafts ADD COLUMN audio TEXT;
        """
    )


def m005_judge_weights(db: sqlite3.Connection) -> None:
    run_script(db,
        """
        -- The judge's blend weight as `interviewer evaluate --save-weight` measured it, per judge
        -- model, prompt version and bank: grading with that judge on that bank uses it.
        CREATE TABLE judge_weights (
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            bank TEXT NOT NULL,
            weight REAL NOT NULL,
            n INTEGER NOT NULL,
            judge_pearson REAL,
            evidence_pearson REAL,
            blend_pearson REAL,
            source TEXT NOT NULL,
            measured_at TEXT NOT NULL,
            PRIMARY KEY (model, prompt_version, bank)
        );
        """
    )


MIGRATIONS: list[tuple[str, Migration]] = [
    ("001_initial", m001_initial),
    ("002_snapshots_and_cards", m002_snapshots_and_cards),
    ("003_drafts", m003_drafts),
    ("004_voice", m004_voice),
    ("005_judge_weights", m005_judge_weights),
]
