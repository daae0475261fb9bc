"""One writer per output file: a run holds an exclusive lock on each file it writes.

The lock is an `flock` on a small hidden file beside the output (`.NAME.lock`), so the
kernel drops it when the process ends, however it ends: a run killed with SIGKILL never
blocks the next one. The file says who holds the lock (pid, command, what it is doing) so a
refused run can name it. A run that ends normally removes the file.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from interviewer.errors import InputError, write_error


class OutputBusy(InputError):
    """Another run is writing the same output (exit code 2)."""


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


class OutputLock:
    """Held from `acquire` to `release`; `describe` updates what the holder says it is doing."""

    def __init__(self, path: Path, doing: str) -> None:
        self.path = path
        self.file = lock_path(path)
        self._fd: int | None = None
        self._info: dict[str, Any] = {"pid": os.getpid(), "doing": doing, "since": time.strftime("%H:%M:%S")}

    def acquire(self) -> "OutputLock":
        try:
            import fcntl
        except ImportError:  # no flock on this platform: one writer is not enforced
            return self
        while True:
            try:
                self.file.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.file, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise write_error(self.path, exc, "beside this file") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise OutputBusy(
                    f"{self.path}: another run is writing this file ({holder}). "
                    "Wait for it to finish or stop it, then run again; nothing was changed"
                ) from None
            if _same_file(fd, self.file):
                break
            os.close(fd)  # the holder removed the file as we opened it: lock the new one
        self._fd = fd
        self._write()
        return self

    def describe(self, **progress: Any) -> None:
        """Record progress (e.g. rows done) for a refused run to report; never fails the run."""
        self._info.update(progress)
        try:
            self._write()
        except OSError:
            pass

    def _write(self) -> None:
        if self._fd is None:
            return
        data = json.dumps(self._info).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def release(self) -> None:
        if self._fd is None:
            return
        # Unlink while still holding the lock, so a waiting run never locks a file that is gone.
        try:
            os.unlink(self.file)
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> "OutputLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "another process"
    parts = [f"pid {info['pid']}"]
    if info.get("doing"):
        parts.append(str(info["doing"]))
    if info.get("since"):
        parts.append(f"since {info['since']}")
    if info.get("rows") is not None:
        parts.append(f"{int(info['rows']):,} rows done")
    return ", ".join(parts)


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except OSError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)
