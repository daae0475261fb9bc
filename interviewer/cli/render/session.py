"""Screens of a practice session: the question, answer prompts, hints, model answer, summary."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from interviewer.cli.render import console
from interviewer.cli.render.grade import format_seconds, grade_panel, score_bar, verdict_style
from interviewer.grading.models import Grade
from interviewer.review import SessionReport
from interviewer.practice.session import Asked, Reply

INSTRUCTIONS = (
    "Type your answer (several lines are fine). Finish with two empty lines or a line /done.  "
    "Commands: /hint  /skip  /quit"
)
FOLLOW_UP_INSTRUCTIONS = "Answer the follow-up (finish as before), or press Enter on an empty line to skip it."


def show_start(session_id: str, planned: int, resumed: int = 0) -> None:
    if resumed:
        console.print(f"[bold]Resuming session {session_id[:8]}[/]: {resumed} of {planned} questions left.")
    else:
        console.print(f"[bold]Practice session {session_id[:8]}[/]: {planned} question{'s' * (planned != 1)}.")


def show_question(asked: Asked) -> None:
    question = asked.question
    if asked.is_follow_up:
        console.print(Panel(
            Text(question.prompt), title=f"Follow-up on question {asked.number}", title_align="left",
            border_style="magenta",
        ))
        console.print(Text(FOLLOW_UP_INSTRUCTIONS, style="dim"))
    else:
        topics = ", ".join(question.topics) or "general"
        console.print()
        console.print(Panel(
            Text(question.prompt, style="bold"),
            title=f"Question {asked.number} of {asked.total}", title_align="left",
            subtitle=f"{question.level.value} · {topics}", subtitle_align="right", border_style="cyan",
        ))
        console.print(Text(INSTRUCTIONS, style="dim"))
    if asked.time_limit:
        console.print(Text(
            f"Time limit: {format_seconds(asked.time_limit)}. When it runs out, what you have entered is "
            "taken as your answer.", style="dim"))
    if asked.draft:
        console.print(Text("You had started this answer when the session stopped:", style="bold yellow"))
        _show_lines(asked.draft)
        console.print(Text("Type /restore to go on from it, or answer afresh.", style="yellow"))


def _show_lines(text: str) -> None:
    for line in text.split("\n"):
        console.print(Text.assemble(("│ ", "dim"), line))


def show_restored(text: str) -> None:
    console.print(Text("Restored; go on typing after it:", style="bold yellow"))
    _show_lines(text)


def line_prompt(remaining: float | None) -> str:
    return "> " if remaining is None else f"[{format_seconds(remaining)} left] > "


def show_hint(text: str) -> None:
    console.print(Text.assemble(("Hint: ", "bold yellow"), text))


def show_time_up() -> None:
    console.print(Text("Time is up: your answer is taken as it is.", style="bold yellow"))


def show_skipped(asked: Asked) -> None:
    console.print(Text("Follow-up skipped." if asked.is_follow_up else "Skipped.", style="dim"))


def show_grade(asked: Asked, grade: Grade, reply: Reply) -> None:
    title = f"Follow-up on question {asked.number}" if asked.is_follow_up else f"Question {asked.number}"
    if reply.timed_out:
        title += " (time ran out)"
    console.print(grade_panel(grade, title=title, seconds=reply.seconds))


def show_model_answer(asked: Asked) -> None:
    if asked.is_follow_up:
        body = Text(asked.question.reference_answer)
        title = "What a strong answer says"
    else:
        body = Markdown(asked.question.reference_answer)
        title = "Model answer"
    console.print(Panel(body, title=title, title_align="left", border_style="blue"))


def notice(message: str) -> None:
    console.print(Text(message, style="dim"))


def show_summary(report: SessionReport, database: Path, *, interrupted: bool = False) -> None:
    session = report.session
    console.print()
    table = Table(title=f"Session {session.id[:8]}", title_justify="left", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("Question")
    table.add_column("Score")
    table.add_column("Verdict")
    table.add_column("Follow-up", justify="right")
    table.add_column("Time", justify="right")
    for row in report.rows:
        grade = row.turn.latest_grade
        follow = next((f.latest_grade for f in row.follow_ups if f.latest_grade), None)
        table.add_row(
            str(row.number), row.turn.question_id,
            score_bar(grade.score, width=10) if grade else Text("skipped" if row.turn.status == "skipped" else "-"),
            Text(grade.verdict, style=verdict_style(grade.verdict)) if grade else "",
            f"{follow.score:.0f}" if follow else "-",
            format_seconds(row.turn.seconds),
        )
    console.print(table if report.rows else Text(f"Session {session.id[:8]}: no answers yet."))
    lines: list[Text] = []
    if report.mean_score is not None:
        lines.append(Text.assemble(("Mean score: ", "bold"), f"{report.mean_score:.1f}/100 over "
                                   f"{report.answered} answered"))
    strongest, weakest = report.strongest_topic, report.weakest_topic
    if strongest and weakest and strongest[1] > weakest[1]:
        lines.append(Text.assemble(("Strongest topic: ", "bold"), f"{strongest[0]} ({strongest[1]:.0f})"))
        lines.append(Text.assemble(("Weakest topic: ", "bold"), f"{weakest[0]} ({weakest[1]:.0f})"))
    if not session.finished:
        left = report.remaining
        why = "Interrupted" if interrupted else "Stopped"
        lines.append(Text(f"{why} with {left} question{'s' * (left != 1)} left: continue with "
                          "`interviewer practice --resume`.", style="yellow"))
    lines.append(Text(f"Transcript saved in {database}; see it with `interviewer review latest` "
                      f"(or `interviewer review {session.id[:8]}`).", style="dim"))
    console.print(Group(*lines))
