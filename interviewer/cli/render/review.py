"""Screens for looking back: history, a graded transcript, progress stats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich import box
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from interviewer.cli.render import console
from interviewer.cli.render.grade import format_seconds, grade_panel, score_bar, verdict_style
from interviewer.review import ScoreSeries, SessionReport, Stats
from interviewer.store.transcripts import SessionSummary, TurnRecord

SPARKS = "▁▂▃▄▅▆▇█"


def local_time(stamp: str | None) -> str:
    if not stamp:
        return "-"
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def sparkline(scores: Sequence[float]) -> Text:
    """One character per value, 0 to 100."""
    line = Text()
    for score in scores:
        index = min(len(SPARKS) - 1, int(max(0.0, min(100.0, score)) / 100 * len(SPARKS)))
        line.append(SPARKS[index], style=verdict_style(_verdict(score)))
    return line


def _verdict(score: float) -> str:
    from interviewer.grading.models import verdict_for

    return verdict_for(score).value


def _mean_text(score: float | None) -> Text:
    return Text("-") if score is None else Text(f"{score:.1f}", style=verdict_style(_verdict(score)))


def show_history(summaries: Sequence[SessionSummary]) -> None:
    if not summaries:
        console.print("No sessions yet: start one with `interviewer practice`.")
        return
    # Fits 80 columns: only the level/source column wraps.
    table = Table(title="Sessions (newest first)", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 0))
    table.add_column("Session", no_wrap=True)
    table.add_column("Started", no_wrap=True)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Level / source", overflow="fold")
    table.add_column("Answered", justify="right", no_wrap=True)
    table.add_column("Mean", justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    for item in summaries:
        session = item.session
        about = session.level or ("all levels" if session.kind == "practice" else "")
        if session.kind == "batch" and session.source:
            about = session.source.rsplit("/", 1)[-1]
        answered = f"{item.answered}/{item.planned}" if item.planned else str(item.answered)
        status = Text("finished", style="green") if session.finished else Text("unfinished", style="yellow")
        table.add_row(session.id[:8], local_time(session.started_at), session.kind, about, answered,
                      _mean_text(item.mean_score), status)
    console.print(table)


def _turn_block(turn: TurnRecord, title: str, style: str) -> None:
    question = turn.question
    subtitle = None
    if turn.kind != "follow_up":
        subtitle = " · ".join(part for part in (question.get("level"), ", ".join(question.get("topics", []))) if part)
    header = Text(turn.prompt, style="bold" if turn.kind != "follow_up" else "")
    if turn.candidate:
        header.append(f"\nCandidate: {turn.candidate}", style="dim")
    console.print(Panel(header, title=title, title_align="left", subtitle=subtitle, subtitle_align="right",
                        border_style=style))
    if turn.status != "answered":
        console.print(Text("  (skipped)", style="dim"))
        return
    console.print(Text("Answer:", style="bold"))
    console.print(Text(turn.answer or "", style="italic"), soft_wrap=False)
    grade = turn.latest_grade
    if grade is None:
        console.print(Text("  (not graded: `interviewer regrade` grades it)", style="yellow"))
        return
    extra = f" · {len(turn.grades)} grades, latest shown" if len(turn.grades) > 1 else ""
    console.print(grade_panel(grade.grade, title=f"Grade{extra}", seconds=turn.seconds))


def show_transcript(report: SessionReport) -> None:
    session = report.session
    status = "finished" if session.finished else "unfinished"
    head = Text.assemble((f"Session {session.id}", "bold"), f"  {session.kind} · {status} · started "
                         f"{local_time(session.started_at)}")
    if session.level:
        head.append(f" · level {session.level}")
    if session.grader:
        head.append(f" · grader {session.grader}")
    if session.source:
        head.append(f" · source {session.source}")
    console.print(head)
    if not report.rows:
        console.print("No answers in this session yet.")
    for row in report.rows:
        _turn_block(row.turn, f"Question {row.number}", "cyan")
        for follow in row.follow_ups:
            _turn_block(follow, f"Follow-up on question {row.number}", "magenta")
    if report.mean_score is not None:
        console.print(Text.assemble(("Mean score: ", "bold"), f"{report.mean_score:.1f}/100 over "
                                    f"{report.answered} answered"))


def _series_table(title: str, column: str, series: Sequence[ScoreSeries]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(column)
    table.add_column("Answered", justify="right")
    table.add_column("Mean", justify="right")
    table.add_column("First → latest", justify="right")
    table.add_column("Per session")
    for item in series:
        table.add_row(item.name, str(item.answered), _mean_text(item.mean_score),
                      f"{item.first:.0f} → {item.latest:.0f}", sparkline(item.per_session[-30:]))
    return table


def show_stats(stats: Stats, *, sessions_shown: int = 15) -> None:
    if not stats.answered:
        console.print("No graded practice answers yet: start with `interviewer practice`.")
        return
    console.print(Text.assemble(
        ("Progress: ", "bold"), f"{stats.answered} answer{'s' * (stats.answered != 1)} in {stats.sessions} "
        f"practice session{'s' * (stats.sessions != 1)}, mean ",
        _mean_text(stats.mean_score), "/100"))

    chart = Table(title="Mean score per session (latest last)", title_justify="left", box=None, padding=(0, 1))
    chart.add_column("Session")
    chart.add_column("Started")
    chart.add_column("Score")
    for session_id, started, score in stats.by_session[-sessions_shown:]:
        chart.add_row(session_id[:8], local_time(started), score_bar(score, width=30))
    console.print(chart)
    if len(stats.by_day) > 1:
        console.print(Text.assemble(("Per day: ", "bold"), sparkline([score for _, score, _ in stats.by_day]),
                                    f"  ({stats.by_day[0][0]} → {stats.by_day[-1][0]})"))
    console.print(_series_table("By level", "Level", stats.levels))
    console.print(_series_table("By topic (weakest first)", "Topic", stats.topics))
    if stats.weakest_concepts:
        table = Table(title="Concepts most often missed", title_justify="left")
        table.add_column("Concept")
        table.add_column("Question")
        table.add_column("Missed", justify="right")
        for item in stats.weakest_concepts:
            table.add_row(item.label, item.question_id, f"{item.missed} of {item.asked}")
        console.print(table)


def show_regraded(count: int, grader: str, session_id: str) -> None:
    console.print(f"Regraded {count} answer{'s' * (count != 1)} with the {grader} grader; earlier grades are kept. "
                  f"`interviewer review {session_id[:8]}` shows the latest, `--json` all of them.")


def show_exported(path: str, fmt: str, turns: int) -> None:
    console.print(f"Wrote {fmt} transcript ({turns} turns) to {path}.")

