"""Bank screens: the question table, one question with its rubric, validation and import results."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from interviewer.bank.markdown_import import ImportResult
from interviewer.bank.models import BankQuestion, Level
from interviewer.cli.render import console, err_console, error
from interviewer.cli.render.literal import field, literal, visible
from interviewer.errors import BankError

LEVEL_STYLES = {Level.beginner: "green", Level.intermediate: "yellow", Level.advanced: "magenta"}


def shorten(text: str, width: int = 72) -> Text:
    flat = " ".join(text.split())
    return field(flat if len(flat) <= width else flat[: width - 1].rstrip() + "…")


def _level(level: Level) -> Text:
    return Text(level.value, style=LEVEL_STYLES.get(level, ""))


def question_table(items: Sequence[BankQuestion], *, total: int) -> None:
    if not items:
        console.print(f"No question matches (the banks hold {total}).")
        return
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("id", style="cyan", overflow="fold", no_wrap=False)
    table.add_column("level")
    table.add_column("topics", style="dim", overflow="fold")
    table.add_column("prompt", overflow="fold")
    for item in items:
        question = item.question
        table.add_row(field(question.id), _level(question.level), field(", ".join(question.topics)),
                      shorten(question.prompt))
    console.print(table)
    shown = f"{len(items)} of {total} questions" if len(items) != total else f"{total} questions"
    console.print(f"[dim]{shown} · `interviewer bank show ID` shows one with its rubric[/]")


def question_detail(item: BankQuestion) -> None:
    question, rubric = item.question, item.rubric
    meta = Text.assemble(_level(question.level), "  ", field(", ".join(question.topics), "dim"))
    if question.source:
        meta.append(f"  · {visible(question.source, multiline=False)}", style="dim")
    head = [literal(question.prompt, style="bold"), meta]
    if question.hint:
        head.append(Text.assemble(("hint: ", "italic yellow"), literal(question.hint)))
    console.print(Panel(Group(*head), title=field(question.id, "cyan"), title_align="left"))

    console.print(Rule("Reference answer", align="left", style="dim"))
    console.print(Markdown(visible(question.reference_answer)))

    console.print(Rule("Rubric", align="left", style="dim"))
    concepts = Table(show_edge=False, pad_edge=False, header_style="bold")
    concepts.add_column("concept", overflow="fold")
    concepts.add_column("weight", justify="right")
    concepts.add_column("required")
    concepts.add_column("aliases", style="dim", overflow="fold")
    for concept in rubric.concepts:
        label = field(concept.label, style="bold")
        if concept.description:
            label.append(f"\n{visible(concept.description)}", style="dim")
        if concept.follow_up:
            label.append(f"\nfollow-up: {visible(concept.follow_up)}", style="italic")
        concepts.add_row(
            label, f"{concept.weight:g}", "yes" if concept.required else "", field(", ".join(concept.aliases))
        )
    console.print(concepts)
    if rubric.misconceptions:
        console.print(Text("Misconceptions", style="bold"))
        for misconception in rubric.misconceptions:
            line = Text.assemble(("✗ ", "red"), literal(misconception.statement))
            if misconception.explanation:
                line.append(f"\n  {visible(misconception.explanation)}", style="dim")
            if misconception.aliases:
                line.append(f"\n  also said as: {visible(', '.join(misconception.aliases), multiline=False)}",
                            style="dim")
            console.print(line)


def validation_problems(problems: Sequence[BankError], *, file_count: int) -> None:
    for problem in problems:
        error(problem.message)
    noun = "problem" if len(problems) == 1 else "problems"
    err_console.print(f"{len(problems)} {noun} in {file_count} question file(s).", soft_wrap=True)


def validation_summary(summary: dict[str, Any]) -> None:
    levels = ", ".join(f"{count} {level}" for level, count in summary["levels"].items() if count)
    console.print(
        f"[green]OK[/] {summary['questions']} questions, {summary['rubrics']} rubrics "
        f"({summary['concepts']} concepts) in {len(summary['files'])} file(s): {levels}",
        soft_wrap=True,
    )


def import_summary(result: ImportResult, *, source: Path, out: Path) -> None:
    levels = ", ".join(f"{count} {level.value}" for level, count in result.level_counts.items())
    name, question_file, rubric_file, folder = (
        visible(value, multiline=False) for value in (source.name, result.question_file, result.rubric_file, out))
    console.print(Text(
        f"Imported {len(result.questions)} question{'s' if len(result.questions) != 1 else ''} "
        f"from {name} ({levels}):\n"
        f"  questions        {question_file}\n"
        f"  rubric skeleton  {rubric_file}\n"
        "Next: review the rubric (aliases, weights, required concepts), then check the bank with\n"
        f"  interviewer bank validate {folder}\n"
        f"and use it with --bank {folder} (e.g. interviewer bank list --bank {folder}) "
        "or add it to INTERVIEWER_BANKS."),
        soft_wrap=True,  # paths and commands stay whole, ready to copy
    )
