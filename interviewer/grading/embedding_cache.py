"""Embeddings of rubric and reference texts, kept in memory and on disk.

The disk store is one SQLite file under the cache folder, keyed by model id and a hash of
the text. A damaged file is moved aside and rebuilt; if the folder cannot be written the
cache simply stays in memory.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from interviewer.paths import cache_dir

CACHE_FILE = "embeddings.sqlite"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    def __init__(self, model_id: str, path: Path | None = None) -> None:
        self.model_id = model_id
        self.path = path if path is not None else cache_dir() / CACHE_FILE
        self._memory: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._db_failed = False

    def _open(self) -> sqlite3.Connection | None:
        if self._db is not None or self._db_failed:
            return self._db
        for attempt in range(2):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
                db.execute(
                    "CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, key TEXT NOT NULL, "
                    "dim INTEGER NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, key))"
                )
                db.execute("SELECT count(*) FROM embeddings WHERE model = ?", (self.model_id,)).fetchone()
                self._db = db
                return db
            except sqlite3.DatabaseError:
                # Not a database, or damaged: set it aside and start a fresh one.
                if attempt == 0:
                    try:
                        self.path.replace(self.path.with_suffix(".damaged"))
                    except OSError:
                        break
            except OSError:
                break
        self._db_failed = True
        return None

    def _load(self, keys: Sequence[str]) -> dict[str, Any]:
        import numpy as np

        db = self._open()
        if db is None or not keys:
            return {}
        found: dict[str, Any] = {}
        try:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT key, dim, vector FROM embeddings WHERE model = ? AND key IN ({marks})",
                    (self.model_id, *chunk),
                ).fetchall()
                for key, dim, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (dim,) and np.isfinite(vector).all():
                        found[key] = vector
        except sqlite3.DatabaseError:
            return {}
        return found

    def _save(self, items: dict[str, Any]) -> None:
        db = self._open()
        if db is None or not items:
            return
        import numpy as np

        try:
            db.execute("BEGIN")
            db.executemany(
                "INSERT OR REPLACE INTO embeddings (model, key, dim, vector) VALUES (?, ?, ?, ?)",
                [
                    (self.model_id, key, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes())
                    for key, v in items.items()
                ],
            )
            db.execute("COMMIT")
        except sqlite3.DatabaseError:
            try:
                db.execute("ROLLBACK")
            except sqlite3.DatabaseError:
                pass

    def get_many(self, texts: Sequence[str], encode: Callable[[list[str]], Any]) -> dict[str, Any]:
        """Vectors for every text: from memory, then disk, then `encode` for the rest."""
        unique = list(dict.fromkeys(texts))
        keys = {text: text_key(text) for text in unique}
        with self._lock:
            result = {t: self._memory[keys[t]] for t in unique if keys[t] in self._memory}
            wanted = [t for t in unique if t not in result]
            if wanted:
                stored = self._load([keys[t] for t in wanted])
                for text in wanted:
                    if keys[text] in stored:
                        result[text] = self._memory[keys[text]] = stored[keys[text]]
        missing = [t for t in unique if t not in result]
        if missing:
            vectors = encode(missing)
            fresh = {}
            for text, vector in zip(missing, vectors):
                result[text] = vector
                fresh[keys[text]] = vector
            with self._lock:
                self._memory.update(fresh)
                self._save(fresh)
        return result
