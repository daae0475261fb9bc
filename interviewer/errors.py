"""Errors the CLI turns into one clear message and an exit code, never a traceback."""

from __future__ import annotations


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
