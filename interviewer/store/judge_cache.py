"""Judge replies kept in the store: grading the same answer again costs no call.

Keyed by model, base URL, prompt version, a fingerprint of the question and rubric, and the
answer's hash. Only the validated reply and token usage are kept: never a key or a header.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interviewer.store.db import connect, utc_now


def cache_key(*, model: str, base_url: str, prompt_version: str, question_hash: str, answer_hash: str) -> str:
    payload = json.dumps([model, base_url, prompt_version, question_hash, answer_hash])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedReply:
    reply: dict[str, Any]
    usage: dict[str, Any]
    created_at: str


class JudgeCache:
    """Thread-safe: one connection, one lock (graders run answers on several threads)."""

    def __init__(self, db: sqlite3.Connection | None = None, *, path: Path | None = None) -> None:
        self._db = db
        self._path = path
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = connect(self._path)
        return self._db

    def get(self, key: str) -> CachedReply | None:
        with self._lock:
            row = self._conn().execute(
                "SELECT reply, usage, created_at FROM judge_cache WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        try:
            return CachedReply(json.loads(row["reply"]), json.loads(row["usage"]), row["created_at"])
        except ValueError:
            return None  # a damaged row is simply graded again

    def put(self, key: str, *, model: str, base_url: str, prompt_version: str,
            reply: dict[str, Any], usage: dict[str, Any]) -> None:
        with self._lock:
            self._conn().execute(
                "INSERT OR REPLACE INTO judge_cache (key, model, base_url, prompt_version, reply, usage, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, model, base_url, prompt_version, json.dumps(reply, ensure_ascii=False),
                 json.dumps(usage), utc_now()),
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn().execute("SELECT COUNT(*) FROM judge_cache").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
