"""The SQLite store: sessions, turns, grades, batch runs and the judge cache.

Every write commits at once, so an answer entered is on disk before grading starts.
"""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

from interviewer.errors import StoreError, WriteError, why_not_written, write_error
from interviewer.paths import database_path
from interviewer.store.migrations import MIGRATIONS

BUSY_TIMEOUT_SECONDS = 30.0


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _damaged(path: Path, reason: str) -> StoreError:
    return StoreError(
        f"{path}: the transcript database cannot be used ({reason}). "
        "It was left untouched; move it aside (or set INTERVIEWER_HOME to another folder) "
        "to start a new one."
    )


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open (creating if needed) the store and bring its schema up to date.

    A file that is not a SQLite database, or is damaged, raises StoreError and is
    never written to.
    """
    path = Path(path) if path is not None else database_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(path.parent, exc, "the data folder") from None
    if path.exists():
        _check_header(path)
    try:
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys = ON")
        _set_wal(db)
        db.execute("PRAGMA synchronous = NORMAL")
        quick = db.execute("PRAGMA quick_check").fetchone()[0]
        if quick != "ok":
            db.close()
            raise _damaged(path, f"integrity check failed: {quick}")
        migrate(db)
    except sqlite3.DatabaseError as exc:
        if _cannot_write(path, exc):
            raise _unwritable(path, exc) from None
        raise _damaged(path, str(exc)) from None
    return db


def _cannot_write(path: Path, exc: sqlite3.DatabaseError) -> bool:
    """A store that is fine but cannot be written here (read-only folder, full disk): not damage."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text or "disk is full" in text:
        return True
    return isinstance(exc, sqlite3.OperationalError) and not os.access(path.parent, os.W_OK)


def _unwritable(path: Path, exc: BaseException) -> WriteError:
    why = why_not_written(exc)
    if why != "the disk is full" and not os.access(path.parent, os.W_OK):
        why = "the folder is read-only"
    return WriteError(f"{path}: cannot write the transcript database ({why}); it was left untouched. "
                      "Make room or make the data folder writable, or set INTERVIEWER_HOME to another folder")


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(16)
    except OSError as exc:
        raise _damaged(path, f"cannot read it: {exc.strerror or exc}") from None
    if header and header != b"SQLite format 3\x00":
        raise _damaged(path, "it is not a SQLite database")


def _set_wal(db: sqlite3.Connection) -> None:
    # Another process may hold the lock for a moment while it switches the mode.
    for attempt in range(50):
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.05)


def applied_migrations(db: sqlite3.Connection) -> list[str]:
    db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    return [row[0] for row in db.execute("SELECT name FROM migrations ORDER BY rowid")]


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet recorded, each in its own transaction."""
    applied_now = []
    done = set(applied_migrations(db))
    for name, migration in MIGRATIONS:
        if name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            # Re-check inside the write lock: another process may have just applied it.
            if db.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                db.execute("COMMIT")
                continue
            migration(db)
            db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, utc_now()))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # SQLite rolls back by itself after some errors (a full disk)
                db.execute("ROLLBACK")
            raise
        applied_now.append(name)
    return applied_now
