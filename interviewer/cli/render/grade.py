"""The grade panel: score bar, verdict, concepts (quoting the answer), feedback, warnings.

Shared by every screen that shows a Grade (practice, review, grade).
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from interviewer.cli.render.literal import field, literal, visible
from interviewer.grading.models import ConceptStatus, Grade, Verdict

VERDICT_STYLES = {
    Verdict.strong: "bold green",
    Verdict.good: "green",
    Verdict.partial: "yellow",
    Verdict.weak: "red",
}

STATUS_MARKS = {
    ConceptStatus.covered: ("✓", "green"),
    ConceptStatus.partly: ("~", "yellow"),
    ConceptStatus.missing: ("✗", "red"),
}


def verdict_style(verdict: Verdict | str) -> str:
    try:
        return VERDICT_STYLES[Verdict(verdict)]
    except ValueError:
        return ""


def score_bar(score: float, *, width: int = 20) -> Text:
    """`██████████░░░░░░░░░░  52/100`, coloured by verdict band."""
    from interviewer.grading.models import verdict_for

    filled = round(max(0.0, min(100.0, score)) / 100 * width)
    bar = Text("█" * filled, style=verdict_style(verdict_for(score)))
    bar.append("░" * (width - filled), style="dim")
    bar.append(f" {score:5.1f}/100")
    return bar


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


def _quote(evidence: str, limit: int = 90) -> str:
    flat = " ".join(evidence.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def concepts_table(grade: Grade) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(ratio=1)
    for result in grade.concepts:
        mark, style = STATUS_MARKS[result.status]
        label = field(result.label, style="bold" if result.required else "")
        if result.required:
            label.append(" (required)", style="dim")
        if result.error:  # the answer says something false about it: its own words, in red
            label.append(f'  wrong: says "{visible(_quote(result.error), multiline=False)}"', style="bold red")
        elif result.evidence and result.status is not ConceptStatus.missing:
            label.append(f'  "{visible(_quote(result.evidence), multiline=False)}"', style="italic cyan")
        elif result.status is ConceptStatus.missing:
            label.append("  missed", style="dim red")
        table.add_row(Text(mark, style=style), label)
    return table


def grade_body(grade: Grade, *, seconds: float | None = None) -> list[RenderableType]:
    """The panel's content, for screens that frame it themselves."""
    head = Text.assemble(score_bar(grade.score), "  ", (grade.verdict.value.upper(), verdict_style(grade.verdict)))
    if seconds is not None:
        head.append(f"   time {format_seconds(seconds)}", style="dim")
    parts: list[RenderableType] = [head]
    if grade.concepts:
        covered = len(grade.covered) + len(grade.partly)
        heading = f"Concepts ({covered} of {len(grade.concepts)} touched"
        wrong = sum(1 for c in grade.concepts if c.error)
        heading += f", {wrong} stated wrongly):" if wrong else "):"
        parts += [Text(heading, style="bold"), concepts_table(grade)]
    feedback = Table.grid(padding=(0, 1))
    feedback.add_column(style="bold", no_wrap=True)
    feedback.add_column(ratio=1)
    for name, value in (("Good", grade.feedback.good), ("Missing", grade.feedback.missing),
                        ("Next", grade.feedback.next_step)):
        if value:
            feedback.add_row(f"{name}:", literal(value))
    parts.append(feedback)
    for warning in grade.warnings:
        parts.append(Text.assemble("⚠ ", literal(warning.message), style="yellow"))
    if grade.needs_review:
        parts.append(Text("This grade is uncertain: worth a human look.", style="yellow"))
    return parts


def grade_panel(grade: Grade, *, title: str | None = None, seconds: float | None = None,
                extra: list[RenderableType] | None = None) -> Panel:
    """The grade in a frame; `extra` goes at its end (a spoken answer's delivery figures)."""
    subtitle = field(f"{grade.grader} {grade.grader_version}")
    return Panel(
        Group(*grade_body(grade, seconds=seconds), *(extra or [])),
        title=title or "Grade",
        title_align="left",
        subtitle=subtitle,
        subtitle_align="right",
        border_style=verdict_style(grade.verdict) or "white",
    )
