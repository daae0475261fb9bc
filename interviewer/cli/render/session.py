"""Screens of a practice session: the question, answer prompts, hints, model answer, summary."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from interviewer.cli.render import console
from interviewer.cli.render.literal import field, literal, visible
from interviewer.cli.render.grade import format_seconds, grade_panel, score_bar, verdict_style
from interviewer.grading.models import Grade
from interviewer.review import SessionReport
from interviewer.practice.session import Asked, Reply

INSTRUCTIONS = (
    "Type your answer (several lines are fine). Finish with two empty lines or a line /done.  "
    "Commands: /hint  /skip  /quit"
)
MODEL_ANSWER_PROMPT = "Show the model answer? [y/N] "
FOLLOW_UP_INSTRUCTIONS = "Answer the follow-up (finish as before), or press Enter on an empty line to skip it."


def show_start(session_id: str, planned: int, resumed: int | None = None, ungraded: int = 0) -> None:
    if resumed is not None:
        left = f"{resumed} of {planned} questions left"
        if ungraded:
            left = f"{_count(ungraded, 'answer')} to grade, {left}"
        console.print(f"[bold]Resuming session {session_id[:8]}[/]: {left}.")
    else:
        console.print(f"[bold]Practice session {session_id[:8]}[/]: {planned} question{'s' * (planned != 1)}.")


def show_nothing_due(message: str) -> None:
    console.print(Text(f"Nothing to practise: {message}. Run without --due for a regular session."))


def show_question(asked: Asked, instructions: str | None = None) -> None:
    """The question's panel and how to answer (`instructions` replaces the typed-answer ones)."""
    question = asked.question
    if asked.is_follow_up:
        console.print(Panel(
            literal(question.prompt), title=f"Follow-up on question {asked.number}", title_align="left",
            border_style="magenta",
        ))
        console.print(Text(instructions or FOLLOW_UP_INSTRUCTIONS, style="dim"))
    else:
        topics = ", ".join(question.topics) or "general"
        console.print()
        console.print(Panel(
            literal(question.prompt, style="bold"),
            title=f"Question {asked.number} of {asked.total}", title_align="left",
            subtitle=field(f"{question.level.value} · {topics}"), subtitle_align="right", border_style="cyan",
        ))
        console.print(Text(instructions or INSTRUCTIONS, style="dim"))
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
        console.print(Text.assemble(("│ ", "dim"), visible(line)))


def show_restored(text: str) -> None:
    console.print(Text("Restored; go on typing after it:", style="bold yellow"))
    _show_lines(text)


def line_prompt(remaining: float | None) -> str:
    return "> " if remaining is None else f"[{format_seconds(remaining)} left] > "


def show_hint(text: str) -> None:
    console.print(Text.assemble(("Hint: ", "bold yellow"), literal(text)))


def show_time_up() -> None:
    console.print(Text("Time is up: your answer is taken as it is.", style="bold yellow"))


def show_skipped(asked: Asked) -> None:
    console.print(Text("Follow-up skipped." if asked.is_follow_up else "Skipped.", style="dim"))


def show_grade(asked: Asked, grade: Grade, reply: Reply) -> None:
    title = f"Follow-up on question {asked.number}" if asked.is_follow_up else f"Question {asked.number}"
    if reply.timed_out:
        title += " (time ran out)"
    extra = None
    if reply.delivery:
        from interviewer.cli.render.voice import delivery_lines

        extra = delivery_lines(reply.delivery)
    console.print(grade_panel(grade, title=title, seconds=reply.seconds, extra=extra))


def show_not_yes_or_no(reply: str) -> None:
    console.print(Text.assemble(
        ("Please type y or n. ", "bold yellow"), "Your answer was already finished, so ",
        (f'"{visible(reply.strip(), multiline=False)}"', "italic"), " is not part of it.", style="yellow"))


def show_model_answer(asked: Asked) -> None:
    if asked.is_follow_up:
        body = literal(asked.question.reference_answer)
        title = "What a strong answer says"
    else:
        body = Markdown(visible(asked.question.reference_answer))
        title = "Model answer"
    console.print(Panel(body, title=title, title_align="left", border_style="blue"))


def notice(message: str) -> None:
    console.print(literal(message, style="dim"))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def _resume_hint(report: SessionReport, interrupted: bool) -> str:
    """What `practice --resume` will do for this session, and only what it will do."""
    why = "Interrupted" if interrupted else "Stopped"
    left, ungraded = report.remaining, report.ungraded
    if not left and not ungraded:
        return f"{why} after the last question; every answer is graded."
    parts = [_count(left, "question") + " left"] if left else []
    if ungraded:
        parts.append(f"{_count(ungraded, 'answer')} saved but not graded yet")
    does = " and ".join(
        (["grades " + ("it" if ungraded == 1 else "them")] if ungraded else []) + (["asks the rest"] if left else []))
    return f"{why} with {' and '.join(parts)}: `interviewer practice --resume` {does}."


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
            str(row.number), field(row.turn.question_id),
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
        lines.append(Text.assemble(("Strongest topic: ", "bold"), field(strongest[0]), f" ({strongest[1]:.0f})"))
        lines.append(Text.assemble(("Weakest topic: ", "bold"), field(weakest[0]), f" ({weakest[1]:.0f})"))
    if not session.finished:
        lines.append(Text(_resume_hint(report, interrupted), style="yellow"))
    lines.append(Text(f"Transcript saved in {visible(database, multiline=False)}; see it with `interviewer review latest` "
                      f"(or `interviewer review {session.id[:8]}`).", style="dim"))
    console.print(Group(*lines))
