"""Command: practice (an interview session in the terminal)."""

from __future__ import annotations

import contextlib
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from interviewer.cli.options import (
    BankOption,
    GraderChoice,
    GraderOption,
    JudgeBaseUrlOption,
    JudgeModelOption,
    JudgeTimeoutOption,
    judge_options,
)
from interviewer.errors import InputError


class LevelChoice(str, Enum):
    """The bank's levels, declared here so `--help` need not load the bank models."""

    beginner = "beginner"
    intermediate = "intermediate"
    advanced = "advanced"


def practice(
    level: Annotated[Optional[LevelChoice], typer.Option("--level", "-l", help="Only questions of this level.")] = None,
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
    follow_ups: Annotated[Optional[bool], typer.Option(
        "--follow-ups/--no-follow-ups", show_default=False,
        help="Ask one follow-up on the weakest concept after each answer (default: yes; --resume keeps the "
        "session's choice).")] = None,
    judge_model: JudgeModelOption = None,
    judge_base_url: JudgeBaseUrlOption = None,
    judge_timeout: JudgeTimeoutOption = None,
    voice: Annotated[bool, typer.Option(
        "--voice", help="Speak your answers: each question is read aloud (espeak-ng), Enter starts and stops "
        "recording, the transcript is graded. Needs the voice extra.")] = False,
    audio_from: Annotated[Optional[Path], typer.Option(
        "--audio-from", help="With --voice: replay this recording (or a folder's recordings, one per answer) "
        "instead of the microphone (default: INTERVIEWER_AUDIO_SOURCE).", show_default=False)] = None,
    silence: Annotated[float, typer.Option(
        "--silence", min=0.5, help="With --voice: seconds of silence after you have spoken that end a recording.")] = 3.0,
    json_output: Annotated[bool, typer.Option(
        "--json", help="At the end, print the session's summary as JSON on stdout (scores, verdicts, graders, "
        "what --resume would do); the session itself is shown on stderr.")] = False,
) -> None:
    """Practise an interview: answer questions, get each answer graded, and a follow-up on what you missed.

    Finish an answer with two empty lines (or a line /done). While answering: /hint for a
    hint, /skip to skip the question, /quit to stop (the session stays resumable with --resume).
    Every answer is saved before it is graded.
    """
    from interviewer.bank.loader import load_default_bank
    from interviewer.cli import render
    from interviewer.cli.render import console
    from interviewer.cli.render import session as screen
    from interviewer.cli.terminal_ui import TerminalUI, start_warm_up
    from interviewer.grading.select import build_grader
    from interviewer.paths import database_path
    from interviewer.review import summarize, summary_json
    from interviewer.practice.session import NothingDue, PracticeSession, start_session, ungraded_answers
    from interviewer.store import transcripts
    from interviewer.store.db import connect

    # With --json, stdout carries the summary alone: the questions, prompts and panels go to stderr.
    results = sys.stdout if json_output else None
    with contextlib.redirect_stdout(sys.stderr) if json_output else contextlib.nullcontext():
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
                    follow_ups=follow_ups is not False,
                )
            except NothingDue as nothing:
                if results is not None:
                    render.print_json({"session_id": None, "nothing_due": nothing.message}, file=results)
                else:
                    screen.show_nothing_due(nothing.message)
                raise typer.Exit(0) from None

        active = build_grader(choice, notify=screen.notice, judge=judge_options(judge_model, judge_base_url, judge_timeout))
        voice = voice or bool(resume and session.settings.get("voice"))
        if voice:
            from interviewer.cli.voice_ui import voice_ui

            ui = voice_ui(db, session, audio_from=audio_from, silence=silence, on_screen=lambda: start_warm_up(active))
        else:
            ui = TerminalUI(on_screen=lambda: start_warm_up(active))
        runner = PracticeSession(db, session, item_bank, active, ui, time_limit=time_limit,
                                 follow_ups=session.settings.get("follow_ups", True) if follow_ups is None else follow_ups)
        planned = len(session.settings.get("plan", []))
        if resume:
            asked = {turn.question_id for turn in transcripts.session_turns(db, session.id, with_grades=False)
                     if turn.kind == "question"}
            screen.show_start(session.id, planned, resumed=planned - len(asked & set(session.settings.get("plan", []))),
                              ungraded=len(ungraded_answers(db, session)))
        else:
            screen.show_start(session.id, planned)
        interrupted = False
        try:
            runner.run()
        except KeyboardInterrupt:
            console.print()
            interrupted = True
        report = summarize(db, transcripts.get_session(db, session.id))
        if results is not None:
            render.print_json({**summary_json(report), "interrupted": interrupted, "database": str(database_path())},
                              file=results)
        else:
            screen.show_summary(report, database_path(), interrupted=interrupted)
        if interrupted:
            raise typer.Exit(130)


def register(app: typer.Typer) -> None:
    app.command("practice")(practice)
