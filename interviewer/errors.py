"""Errors the CLI turns into one clear message and an exit code, never a traceback."""

from __future__ import annotations

import errno


class InterviewerError(Exception):
    """A problem the user can fix: bad input, a missing file, an unreadable database."""

    exit_code = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code


class BankError(InterviewerError):
    """A question bank or rubric file that cannot be used (exit code 2)."""

    exit_code = 2

    def __init__(self, message: str, *, path: object = None, location: str | None = None) -> None:
        where = ", ".join(str(part) for part in (path, location) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.location = location
        self.problem = message


class InputError(InterviewerError):
    """A bad input file or option value (exit code 2)."""

    exit_code = 2


class StoreError(InterviewerError):
    """The transcript database cannot be opened or is damaged."""

    exit_code = 3


class WriteError(InterviewerError):
    """A file could not be written: the disk is full, the folder is read-only (exit code 4)."""

    exit_code = 4


def write_error(path: object, exc: BaseException, what: str = "the file") -> WriteError:
    """One line naming the file and why it could not be written (an OSError or a SQLite error)."""
    return WriteError(f"{path}: cannot write {what} ({why_not_written(exc)})")


def why_not_written(exc: BaseException) -> str:
    number = getattr(exc, "errno", None)
    text = str(exc).lower()
    if number in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in text:
        return "the disk is full"
    if number == errno.EROFS or "readonly" in text or "read-only" in text:
        return "the folder is read-only"
    if number in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return getattr(exc, "strerror", None) or str(exc)
