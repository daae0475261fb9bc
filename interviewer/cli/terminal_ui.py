"""The terminal side of a practice session: reads the candidate's lines, shows the screens."""

from __future__ import annotations

import os
import select
import sys
import threading
from contextlib import AbstractContextManager, nullcontext
from collections.abc import Callable
from typing import Any

from interviewer.cli.render import console
from interviewer.cli.render import session as screen
from interviewer.grading.models import Grade
from interviewer.practice.session import Action, AnswerComposer, Asked, Reply

_TIMED_OUT = object()


class TerminalUI:
    """The SessionUI of a real terminal (or CliRunner's scripted stdin).

    `on_screen` runs once the first question is shown: the place to start loading a model
    while the candidate reads.
    """

    def __init__(self, on_screen: Callable[[], None] | None = None) -> None:
        self.on_screen = on_screen

    def notice(self, message: str) -> None:
        screen.notice(message)

    def ask(self, asked: Asked) -> None:
        screen.show_question(asked)
        if self.on_screen is not None:
            callback, self.on_screen = self.on_screen, None
            callback()

    def _read_line(self, prompt: str, remaining: float | None) -> Any:
        """One line, None at end of input, or _TIMED_OUT."""
        stdin = sys.stdin
        if remaining is not None and stdin.isatty():
            # A real terminal: wait at most until the time limit, then take the answer as is.
            sys.stdout.write(prompt)
            sys.stdout.flush()
            ready, _, _ = select.select([stdin], [], [], remaining)
            if not ready:
                try:
                    import termios

                    termios.tcflush(stdin, termios.TCIFLUSH)  # drop the half-typed line
                except (ImportError, OSError):
                    pass
                sys.stdout.write("\n")
                return _TIMED_OUT
            data = os.read(stdin.fileno(), 65536).decode("utf-8", errors="replace")
            return data if data else None
        try:
            return input(prompt)
        except EOFError:
            return None

    def read_answer(self, asked: Asked, composer: AnswerComposer) -> Reply:
        while not composer.done:
            line = self._read_line(screen.line_prompt(composer.remaining()), composer.remaining())
            if line is None:
                composer.end_of_input()
            elif line is _TIMED_OUT:
                composer.time_up()
            else:
                hint = composer.feed(line)
                if hint:
                    screen.show_hint(hint)
                restored = composer.take_restored()
                if restored:
                    screen.show_restored(restored)
        reply = composer.reply
        assert reply is not None
        if reply.timed_out:
            screen.show_time_up()
        if reply.action is Action.skipped:
            screen.show_skipped(asked)
        return reply

    def grading(self, asked: Asked) -> AbstractContextManager[Any]:
        if console.is_terminal:
            return console.status("Grading…")
        return nullcontext()

    def show_grade(self, asked: Asked, grade: Grade, reply: Reply) -> None:
        screen.show_grade(asked, grade, reply)

    def offer_model_answer(self, asked: Asked) -> bool:
        # Anything but yes or no is asked again, never taken as "no": it may be more of the
        # answer, typed after the answer was already finished.
        while True:
            try:
                reply = input(screen.MODEL_ANSWER_PROMPT)
            except EOFError:
                return False
            choice = reply.strip().lower()
            if choice in ("y", "yes"):
                return True
            if choice in ("", "n", "no"):
                return False
            screen.show_not_yes_or_no(reply)

    def show_model_answer(self, asked: Asked, grade: Grade) -> None:
        screen.show_model_answer(asked)


def start_warm_up(grader: object) -> None:
    """Load a model-backed grader's model while the candidate reads the first question."""
    warm_up = getattr(grader, "warm_up", None)
    if callable(warm_up):
        threading.Thread(target=warm_up, name="grader-warm-up", daemon=True).start()
