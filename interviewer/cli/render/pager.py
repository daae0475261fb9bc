"""Long screens through a pager, the way git does it: only when stdout is a terminal.

`$PAGER` names the pager (run by the shell); an empty `PAGER` or `cat` means none. Without
it `less` is used, with `LESS=FRX` unless LESS is set: colours kept, and a screen that
fits is printed as is rather than paged. The output streams into the pager as it is
rendered, so the first screen shows at once even when a transcript is thousands of
answers long, and quitting the pager early stops the rendering.
"""

from __future__ import annotations

import io
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from interviewer.cli.render import console


def pager_command() -> str | None:
    """The pager to run, or None for none."""
    command = os.environ.get("PAGER")
    if command is None:
        return "less" if shutil.which("less") else None
    try:
        program = shlex.split(command)[0] if command.strip() else ""
    except ValueError:
        return None
    # A pager that is not installed would swallow the output: print it instead.
    return command if program and command.strip() != "cat" and shutil.which(program) else None


class _PagerClosed(Exception):
    """The reader quit the pager before the end."""


def _pager_closed() -> None:
    raise _PagerClosed


def _wait(process: subprocess.Popen[bytes]) -> None:
    while True:
        try:
            process.wait()
            return
        except KeyboardInterrupt:  # Ctrl-C belongs to the pager (less uses it): wait for it to end
            continue


@contextmanager
def paged(enabled: bool = True) -> Iterator[None]:
    """Everything printed to `console` inside goes through the pager when stdout is a terminal."""
    command = pager_command() if enabled and console.is_terminal else None
    if command is None:
        yield
        return
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    try:
        process = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        yield
        return
    assert process.stdin is not None
    pipe = io.TextIOWrapper(process.stdin, encoding="utf-8", errors="replace", write_through=True)
    # The console keeps the terminal's colours and width while it writes into the pipe.
    # rich's own answer to a closed pipe is to exit with code 1: here it just ends the output.
    saved_file, saved_force = console.file, console._force_terminal
    console.file, console._force_terminal = pipe, True
    console.on_broken_pipe = _pager_closed  # type: ignore[method-assign]
    try:
        yield
    except (_PagerClosed, BrokenPipeError, KeyboardInterrupt):  # the reader quit the pager before the end
        pass
    finally:
        del console.on_broken_pipe
        console.file, console._force_terminal = saved_file, saved_force
        with suppress(BrokenPipeError, OSError):
            pipe.close()
        _wait(process)
