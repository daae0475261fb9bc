"""Commands: history, review, stats, export, regrade (looking back at stored transcripts)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from interviewer.cli.options import (
    ConcurrencyOption,
    GraderChoice,
    JsonOption,
    JudgeBaseUrlOption,
    JudgeModelOption,
    JudgeTimeoutOption,
    judge_options,
)
from interviewer.errors import InputError

SessionArgument = Annotated[
    str, typer.Argument(help="A session id, a unique prefix of one (see `interviewer history`), or 'latest'.")
]


class ExportFormat(str, Enum):
    md = "md"
    json = "json"
    csv = "csv"


def history(
    json_output: JsonOption = False,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Show at most this many sessions.", min=1)] = 20,
) -> None:
    """List past sessions (practice and batch), newest first: date, kind, level, answers, mean score, finished or not."""
    from interviewer.cli import render
    from interviewer.cli.render.review import show_history
    from interviewer.review import history_json
    from interviewer.store import transcripts
    from interviewer.store.db import connect

    summaries = transcripts.list_sessions(connect(), limit=limit)
    if json_output:
        render.print_json(history_json(summaries))
    else:
        show_history(summaries)


def review(
    session: SessionArgument = "latest",
    show_all: Annotated[bool, typer.Option(
        "--all", "-a", help="For a batch run: every answer with its grade, not the summary.")] = False,
    limit: Annotated[int, typer.Option(
        "--limit", "-n", min=0, help="For a batch run: how many of the lowest-scored answers the summary lists.")] = 10,
    pager: Annotated[bool, typer.Option(
        "--pager/--no-pager", help="Page long output on a terminal ($PAGER, else less).")] = True,
    json_output: JsonOption = False,
) -> None:
    """Show a session: a practice session's graded transcript, a batch run's summary.

    A practice session shows each question, your answer, its latest grade and the follow-ups.
    A batch run shows its counts, the graders, the mean per question and the lowest-scored
    answers; --all shows every answer instead. On a terminal the output goes through a pager.
    --json prints every turn with all of its grades (regrading keeps the earlier ones).
    """
    from interviewer.cli import render
    from interviewer.cli.render.pager import paged
    from interviewer.cli.render.review import show_batch_overview, show_transcript
    from interviewer.review import batch_overview, summarize, transcript_json
    from interviewer.store import transcripts
    from interviewer.store.db import connect

    db = connect()
    record = transcripts.find_session(db, session)
    if json_output:
        render.print_json(transcript_json(db, record))
        return
    with paged(pager):
        if record.kind == transcripts.BATCH and not show_all:
            show_batch_overview(batch_overview(db, record, worst=limit))
        else:
            show_transcript(summarize(db, record))


def stats(json_output: JsonOption = False) -> None:
    """Progress across practice sessions: a per-session chart, per level, per topic, most missed concepts.

    Every answered question counts with its latest grade; batch runs are left out.
    """
    from interviewer.cli import render
    from interviewer.cli.render.review import show_stats
    from interviewer.review import compute_stats, stats_json
    from interviewer.store.db import connect

    result = compute_stats(connect())
    if json_output:
        render.print_json(stats_json(result))
    else:
        show_stats(result)


def export(
    session: SessionArgument,
    fmt: Annotated[Optional[ExportFormat], typer.Option(
        "--format", "-f", help="md (readable), json (everything) or csv (one row per turn). Default: md, or "
        "json with --json and no --output.", case_sensitive=False, show_default=False)] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print JSON on stdout: with --output, what was written (session, file, format, turns); "
        "without, the transcript itself (as --format json).")] = False,
) -> None:
    """Export a session's transcript as Markdown, JSON or CSV."""
    from interviewer.cli import render
    from interviewer.cli.render.markdown import transcript_markdown
    from interviewer.cli.render.review import show_export_text, show_exported
    from interviewer.review import export_session, summarize
    from interviewer.store import transcripts
    from interviewer.store.db import connect

    if json_output and output is None and fmt not in (None, ExportFormat.json):
        raise InputError(f"--json without --output prints the transcript as JSON: drop --format {fmt.value}, "
                         "or write it to a file with --output FILE")
    if fmt is None:
        fmt = ExportFormat.json if json_output and output is None else ExportFormat.md
    db = connect()
    record = transcripts.find_session(db, session)
    if fmt is ExportFormat.md:
        text = transcript_markdown(summarize(db, record))
    else:
        text = export_session(db, record, fmt.value)
    if output is None:
        show_export_text(text, verbatim_on_terminal=fmt is ExportFormat.json)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write the export ({exc.strerror or exc})") from None
    turns = len(transcripts.session_turns(db, record.id, with_grades=False))
    if json_output:
        render.print_json({"session_id": record.id, "output": str(output.resolve()), "format": fmt.value,
                           "turns": turns})
    else:
        show_exported(str(output), fmt.value, turns)


def regrade(
    session: SessionArgument,
    grader: Annotated[GraderChoice, typer.Option(
        "--grader", "-g", help="The grader to grade again with: offline, embedding, judge or auto.",
        case_sensitive=False)],
    judge_model: JudgeModelOption = None,
    judge_base_url: JudgeBaseUrlOption = None,
    judge_timeout: JudgeTimeoutOption = None,
    concurrency: ConcurrencyOption = None,
    json_output: JsonOption = False,
) -> None:
    """Grade a session's answers again with another grader. New grades are added; the old ones are kept."""
    from interviewer.cli import render
    from interviewer.cli.render import session as screen
    from interviewer.cli.render.review import show_regraded
    from interviewer.grading.select import build_grader
    from interviewer.review import regrade_session
    from interviewer.store import transcripts
    from interviewer.store.db import connect

    db = connect()
    record = transcripts.find_session(db, session)
    active = build_grader(grader.value, notify=render.warn if json_output else screen.notice,
                          judge=judge_options(judge_model, judge_base_url, judge_timeout, concurrency))
    done = regrade_session(db, record, active)
    if json_output:
        render.print_json({"session_id": record.id, "regraded": done.count, "grader": active.name,
                           "by_grader": dict(done.by_grader), "fallback_reasons": dict(done.fallback_reasons)})
    else:
        show_regraded(done, active.name, record.id)


def register(app: typer.Typer) -> None:
    app.command("history")(history)
    app.command("review")(review)
    app.command("stats")(stats)
    app.command("export")(export)
    app.command("regrade")(regrade)
