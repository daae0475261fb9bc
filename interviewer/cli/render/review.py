"""Screens for looking back: history, a graded transcript, progress stats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich import box
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from interviewer.cli.render import console
from interviewer.cli.render.literal import field, literal, visible
from interviewer.cli.render.grade import format_seconds, grade_panel, score_bar, verdict_style
from interviewer.review import BatchOverview, Regraded, ScoreSeries, SessionReport, Stats
from interviewer.store.transcripts import SessionRecord, SessionSummary, TurnRecord

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
        table.add_row(session.id[:8], local_time(session.started_at), session.kind, field(about), answered,
                      _mean_text(item.mean_score), status)
    console.print(table)


def _turn_block(turn: TurnRecord, title: str, style: str) -> None:
    question = turn.question
    subtitle = None
    if turn.kind != "follow_up":
        subtitle = field(" · ".join(part for part in (question.get("level"), ", ".join(question.get("topics", [])))
                                    if part))
    header = literal(turn.prompt, style="bold" if turn.kind != "follow_up" else "")
    if turn.candidate:
        header.append(f"\nCandidate: {visible(turn.candidate, multiline=False)}", style="dim")
    console.print(Panel(header, title=title, title_align="left", subtitle=subtitle, subtitle_align="right",
                        border_style=style))
    if turn.status != "answered":
        console.print(Text("  (skipped)", style="dim"))
        return
    console.print(Text("Answer:", style="bold"))
    console.print(literal(turn.answer or "", style="italic"), soft_wrap=False)
    grade = turn.latest_grade
    if grade is None:
        console.print(Text("  (not graded: `interviewer regrade` grades it)", style="yellow"))
        return
    extra = f" · {len(turn.grades)} grades, latest shown" if len(turn.grades) > 1 else ""
    console.print(grade_panel(grade.grade, title=f"Grade{extra}", seconds=turn.seconds))


def _session_head(session: SessionRecord) -> Text:
    status = "finished" if session.finished else "unfinished"
    head = Text.assemble((f"Session {session.id}", "bold"), f"  {session.kind} · {status} · started "
                         f"{local_time(session.started_at)}")
    if session.level:
        head.append(f" · level {visible(session.level, multiline=False)}")
    if session.grader:
        head.append(f" · grader {visible(session.grader, multiline=False)}")
    if session.source:
        head.append(f" · source {visible(session.source, multiline=False)}")
    return head


def show_transcript(report: SessionReport) -> None:
    console.print(_session_head(report.session))
    if not report.rows:
        console.print("No answers in this session yet.")
    for row in report.rows:
        _turn_block(row.turn, f"Question {row.number}", "cyan")
        for follow in row.follow_ups:
            _turn_block(follow, f"Follow-up on question {row.number}", "magenta")
    if report.mean_score is not None:
        console.print(Text.assemble(("Mean score: ", "bold"), f"{report.mean_score:.1f}/100 over "
                                    f"{report.answered} answered"))


def _excerpt(text: str, width: int = 70) -> Text:
    flat = " ".join(text.split())
    return field(flat if len(flat) <= width else flat[: width - 1] + "…")


def show_batch_overview(overview: BatchOverview) -> None:
    """A batch run at a glance: counts, graders, per-question means, the lowest-scored answers."""
    session = overview.session
    console.print(_session_head(session))
    if not overview.answers:
        console.print("No answers in this batch run.")
        return
    head = Text.assemble((f"{overview.answers:,} answer{'s' * (overview.answers != 1)}", "bold"),
                         f": {overview.graded:,} graded")
    if overview.graded < overview.answers:
        head.append(f", {overview.answers - overview.graded:,} not graded", style="yellow")
    if overview.needs_review:
        head.append(f", {overview.needs_review:,} need{'s' * (overview.needs_review == 1)} review", style="yellow")
    if overview.mean_score is not None:
        head.append(" · mean ")
        head.append_text(_mean_text(overview.mean_score))
        head.append("/100")
    console.print(head)
    if overview.graders:
        console.print(Text.assemble("graded by: ", field(", ".join(
            f"{name} {count:,}" for name, count in overview.graders.items()))))
    if overview.per_question:
        table = Table(title="Per question (lowest mean first)", title_justify="left")
        table.add_column("Question", overflow="fold")
        table.add_column("Answers", justify="right")
        table.add_column("Mean", justify="right")
        for item in overview.per_question:
            table.add_row(field(item.question_id), f"{item.answers:,}", _mean_text(item.mean_score))
        console.print(table)
    if overview.worst:
        table = Table(title=f"Lowest scores ({len(overview.worst)} of {overview.graded:,})", title_justify="left")
        table.add_column("Row", justify="right", no_wrap=True)
        table.add_column("Candidate", overflow="fold")
        table.add_column("Question", overflow="fold")
        table.add_column("Score", justify="right", no_wrap=True)
        table.add_column("Answer", ratio=1)
        for item in overview.worst:
            table.add_row(str(item.row), field(item.candidate or ""), field(item.question_id),
                          _mean_text(item.score), _excerpt(item.answer))
        console.print(table)
    console.print(Text(f"`interviewer review {session.id[:8]} --all` shows every answer with its grade "
                       "(-n N lists N lowest here); --json gives them all as data.", style="dim"))


def _series_table(title: str, column: str, series: Sequence[ScoreSeries]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(column)
    table.add_column("Answered", justify="right")
    table.add_column("Mean", justify="right")
    table.add_column("First → latest", justify="right")
    table.add_column("Per session")
    for item in series:
        table.add_row(field(item.name), str(item.answered), _mean_text(item.mean_score),
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
            table.add_row(field(item.label), field(item.question_id), f"{item.missed} of {item.asked}")
        console.print(table)
    if stats.delivery:
        from interviewer.cli.render.voice import delivery_table

        console.print(delivery_table(stats.delivery))


def show_regraded(done: Regraded, grader: str, session_id: str) -> None:
    count = done.count
    if set(done.by_grader) <= {grader}:
        head = f"Regraded {count} answer{'s' * (count != 1)} with the {grader} grader"
    else:
        by = ", ".join(f"{n} by the {name} grader" for name, n in done.by_grader.most_common())
        why = "; ".join(f"{reason} ({n})" for reason, n in done.fallback_reasons.most_common())
        head = f"Regraded {count} answer{'s' * (count != 1)}: {by}" + (f" (fell back: {why})" if why else "")
    console.print(Text(f"{visible(head, multiline=False)}; earlier grades are kept. `interviewer review "
                       f"{session_id[:8]}` shows the latest, `--json` all of them."), soft_wrap=True)


def show_export_text(text: str, *, verbatim_on_terminal: bool = False) -> None:
    """An export on stdout: verbatim into a pipe or file; on a terminal, control characters visible
    (JSON already escapes them, and stays valid JSON)."""
    import sys

    sys.stdout.write(text if verbatim_on_terminal or not sys.stdout.isatty() else visible(text))
    sys.stdout.flush()


def show_exported(path: str, fmt: str, turns: int) -> None:
    console.print(Text(f"Wrote {fmt} transcript ({turns} turns) to {visible(path, multiline=False)}."), soft_wrap=True)

