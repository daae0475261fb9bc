"""Command: practice (an interview session in the terminal)."""

from __future__ import annotations

import os
import select
import sys
import threading
from contextlib import AbstractContextManager, nullcontext
from typing import Annotated, Any, Optional

import typer

from interviewer.bank.models import Level
from interviewer.cli.options import BankOption, GraderChoice, GraderOption
from interviewer.cli.render import console
from interviewer.cli.render import session as screen
from interviewer.errors import InputError
from interviewer.grading.models import Grade
from interviewer.session import Action, AnswerComposer, Asked, NothingDue, Reply

_TIMED_OUT = object()


class TerminalUI:
    """The SessionUI of a real terminal (or CliRunner's scripted stdin)."""

    def notice(self, message: str) -> None:
        screen.notice(message)

    def ask(self, asked: Asked) -> None:
        screen.show_question(asked)

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
        try:
            answer = input("Show the model answer? [y/N] ")
        except EOFError:
            return False
        return answer.strip().lower() in ("y", "yes")

    def show_model_answer(self, asked: Asked, grade: Grade) -> None:
        screen.show_model_answer(asked)


def _start_warm_up(grader: object) -> None:
    """Load a model-backed grader's model while the candidate reads the first question."""
    warm_up = getattr(grader, "warm_up", None)
    if callable(warm_up):
        threading.Thread(target=warm_up, name="grader-warm-up", daemon=True).start()


def practice(
    level: Annotated[Optional[Level], typer.Option("--level", "-l", help="Only questions of this level.")] = None,
    topic: Annotated[Optional[list[str]], typer.Option(
        "--topic", "-t", help="Only questions on this topic (repeatable: any of them). See `interviewer bank list`.")] = None,
    count: Annotated[int, typer.Option("-n", "--count", help="How many questions to ask.", min=1)] = 5,
    grader: GraderOption = GraderChoice.auto,
    seed: Annotated[Optional[int], typer.Option(
        "--seed", help="Seed for the order of equally fresh questions (same seed, same choice).")] = None,
    bank: BankOption = None,
    time_limit: Annotated[Optional[float], typer.Option(
        "--time-limit", help="Seconds per answer. The time left shows at the prompt; when it runs out, "
        "what you have entered is taken as your answer.", min=1)] = None,
    due: Annotated[bool, typer.Option(
        "--due", help="Ask what spaced repetition (FSRS) says is due: overdue questions first, then new ones.")] = False,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Continue the latest unfinished practice session with its remaining questions.")] = False,
    follow_ups: Annotated[bool, typer.Option(
        "--follow-ups/--no-follow-ups", help="Ask one follow-up on the weakest concept after each answer.")] = True,
) -> None:
    """Practise an interview: answer questions, get each answer graded, and a follow-up on what you missed.

    Finish an answer with two empty lines (or a line /done). While answering: /hint for a
    hint, /skip to skip the question, /quit to stop (the session stays resumable with --resume).
    Every answer is saved before it is graded.
    """
    from interviewer.bank.loader import load_default_bank
    from interviewer.grading.select import build_grader
    from interviewer.paths import database_path
    from interviewer.review import summarize
    from interviewer.session import PracticeSession, start_session
    from interviewer.store import transcripts
    from interviewer.store.db import connect

    db = connect()
    if resume:
        session = transcripts.latest_unfinished(db)
        if session is None:
            raise InputError("no unfinished practice session to resume: start one with `interviewer practice`")
        banks = [*session.settings.get("banks", []), *(str(path) for path in bank or [])]
        choice = grader.value if grader is not GraderChoice.auto else (session.grader or "auto")
        item_bank = load_default_bank(banks)
    else:
        banks = [str(path.resolve()) for path in bank or []]
        choice = grader.value
        item_bank = load_default_bank(banks)
        try:
            session = start_session(
                db, item_bank, level=level.value if level else None, topics=topic or [], count=count,
                grader=choice, seed=seed, time_limit=time_limit, due=due, banks=banks,
            )
        except NothingDue as nothing:
            console.print(f"Nothing to practise: {nothing.message}. Run without --due for a regular session.")
            raise typer.Exit(0) from None

    active = build_grader(choice, notify=screen.notice)
    _start_warm_up(active)
    runner = PracticeSession(db, session, item_bank, active, TerminalUI(), time_limit=time_limit,
                             follow_ups=follow_ups)
    planned = len(session.settings.get("plan", []))
    if resume:
        asked = {turn.question_id for turn in transcripts.session_turns(db, session.id, with_grades=False)
                 if turn.kind == "question"}
        screen.show_start(session.id, planned, resumed=planned - len(asked & set(session.settings.get("plan", []))))
    else:
        screen.show_start(session.id, planned)
    try:
        runner.run()
    except KeyboardInterrupt:
        console.print()
        screen.show_summary(summarize(db, transcripts.get_session(db, session.id)), database_path(), interrupted=True)
        raise typer.Exit(130) from None
    screen.show_summary(summarize(db, transcripts.get_session(db, session.id)), database_path())


def register(app: typer.Typer) -> None:
    app.command("practice")(practice)
