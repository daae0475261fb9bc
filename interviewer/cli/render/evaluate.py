"""Rendering for `interviewer evaluate`: the agreement summary and the per-question table."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from interviewer.cli.render import console
from interviewer.cli.render.literal import field, in_markup

if TYPE_CHECKING:
    from interviewer.evaluation import EvaluationReport, JudgeReport


def _number(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if math.isfinite(value) else "n/a"


def summary(report: EvaluationReport) -> None:
    low, high = report.human_range
    console.print(Text.assemble(
        field(report.file, "bold"), f": {report.n} answers graded by ", field(report.grader, "bold"), " ",
        field(report.grader_version)), soft_wrap=True)
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
    if len(report.graded_by) > 1 or (report.graded_by and report.grader not in report.graded_by):
        shares = ", ".join(f"{name} {count}" for name, count in sorted(report.graded_by.items()))
        console.print(f"Graded by: {in_markup(shares)}.", soft_wrap=True)
    if report.fallbacks:
        reasons = ", ".join(f"{kind.replace('_', ' ')} {count}" for kind, count in sorted(report.fallback_reasons.items()))
        console.print(f"[yellow]{report.fallbacks} of {report.n} answers fell back to another grader "
                      f"({in_markup(reasons)}).[/]", soft_wrap=True)
    if report.judge is not None:
        judge_section(report.judge)

    table = Table(title="Per question", show_header=True, header_style="bold")
    table.add_column("question", overflow="fold")
    table.add_column("n", justify="right")
    table.add_column("Pearson r", justify="right")
    table.add_column("mean human", justify="right")
    table.add_column("mean score", justify="right")
    table.add_column("rubric")
    for question in report.questions:
        table.add_row(
            field(question.question_id), str(question.n), _number(question.pearson),
            _number(question.mean_human, 2), _number(question.mean_score, 1), field(question.rubric),
        )
    console.print(table)


def judge_section(judge: JudgeReport) -> None:
    """The judge's own agreement, its evidence grader's, the blend's, and what that means."""
    console.print()
    model = in_markup(judge.model or "the judge")
    console.print(f"[bold]Judge[/] (model {model}): {judge.judged} answers judged, {judge.cached} from the cache, "
                  f"{judge.fell_back} fell back, {judge.not_sent} empty (not sent).", soft_wrap=True)
    if judge.replied:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column(f"on the {judge.replied} judged answers")
        table.add_column("Pearson r", justify="right")
        table.add_column("Spearman rho", justify="right")
        for name, agreement in (("the model's own score", judge.own),
                                (f"{judge.evidence_grader} alone (inside the judge)", judge.evidence),
                                ("the blend (the grade)", judge.blend)):
            table.add_row(in_markup(name), _number(agreement.pearson), _number(agreement.spearman))
        console.print(table)
        weights = ", ".join(f"{name} ({count})" for name, count in sorted(judge.weights.items()))
        console.print(f"Blend weight used: {in_markup(weights)}.", style="dim", soft_wrap=True)
    for finding in judge.findings:
        warning = any(word in finding for word in ("barely vary", "less than", "costs", "no usable", "lowers"))
        console.print(Text(finding, style="yellow" if warning else ""), soft_wrap=True)


def saved_weight(judge: JudgeReport, banks: list[str]) -> None:
    console.print(f"Saved blend weight {judge.fitted_weight:.2f} for {in_markup(judge.model or '?')} on bank "
                  f"{in_markup(', '.join(banks))}: grade, practice and evaluate use it from now on.", soft_wrap=True)
