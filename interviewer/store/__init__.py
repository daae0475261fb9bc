"""SQLite store with named migrations."""

from interviewer.store.db import connect, migrate, utc_now

__all__ = ["connect", "migrate", "utc_now"]
