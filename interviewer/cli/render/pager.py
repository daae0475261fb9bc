"""Long screens through a pager, the way git does it: only when stdout is a terminal.

`$PAGER` names the pager (run by the shell); an empty `PAGER` or `cat` means none. Without
it `less` is used, with `LESS=FRX` unless LESS is set: colours kept, and a screen that
fits is printed as is rather than paged.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.pager import Pager

from interviewer.cli.render import console


def pager_command() -> str | None:
    """The pager to run, or None for none."""
    command = os.environ.get("PAGER")
    if command is not None:
        return command if command.strip() and command.strip() != "cat" else None
    return "less" if shutil.which("less") else None


class CommandPager(Pager):
    def __init__(self, command: str) -> None:
        self.command = command

    def show(self, content: str) -> None:
        env = dict(os.environ)
        env.setdefault("LESS", "FRX")
        try:
            process = subprocess.Popen(self.command, shell=True, stdin=subprocess.PIPE, env=env)
        except OSError:
            sys.stdout.write(content)
            return
        assert process.stdin is not None
        try:
            process.stdin.write(content.encode("utf-8", errors="replace"))
            process.stdin.close()
        except BrokenPipeError:  # the reader quit the pager before the end: fine
            pass
        while True:
            try:
                code = process.wait()
                break
            except KeyboardInterrupt:  # Ctrl-C belongs to the pager (less uses it); wait for it to end
                continue
        if code == 127:  # the shell could not find the pager: show the text anyway
            sys.stdout.write(content)


@contextmanager
def paged(enabled: bool = True) -> Iterator[None]:
    """Everything printed to `console` inside goes through the pager when stdout is a terminal."""
    command = pager_command() if enabled and console.is_terminal else None
    if command is None:
        yield
        return
    with console.pager(pager=CommandPager(command), styles=True):
        yield
