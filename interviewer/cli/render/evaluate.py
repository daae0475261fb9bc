"""Rendering for `interviewer evaluate`: the agreement summary and the per-question table."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.table import Table

from interviewer.cli.render import console

if TYPE_CHECKING:
    from interviewer.evaluation import EvaluationReport


def _number(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if math.isfinite(value) else "n/a"


def summary(report: EvaluationReport) -> None:
    low, high = report.human_range
    console.print(
        f"[bold]{report.file}[/]: {report.n} answers graded by [bold]{report.grader}[/] "
        f"{report.grader_version}",
        soft_wrap=True,
    )
    totals = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for name in ("n", "Pearson r", "Spearman rho", "RMSE", "ms/answer"):
        totals.add_column(name, justify="right")
    totals.add_row(
        str(report.n), _number(report.pearson), _number(report.spearman), _number(report.rmse),
        _number(report.ms_per_answer, 2),
    )
    console.print(totals)
    console.print(
        f"RMSE: a line from grader score to human score fitted on the other questions, in the "
        f"human scale ({low:g}-{high:g}).",
        style="dim", soft_wrap=True,
    )
    if report.fallbacks:
        console.print(f"[yellow]{report.fallbacks} answers were graded offline (the chosen grader was unavailable).[/]")

    table = Table(title="Per question", show_header=True, header_style="bold")
    table.add_column("question", overflow="fold")
    table.add_column("n", justify="right")
    table.add_column("Pearson r", justify="right")
    table.add_column("mean human", justify="right")
    table.add_column("mean score", justify="right")
    table.add_column("rubric")
    for question in report.questions:
        table.add_row(
            question.question_id, str(question.n), _number(question.pearson),
            _number(question.mean_human, 2), _number(question.mean_score, 1), question.rubric,
        )
    console.print(table)
