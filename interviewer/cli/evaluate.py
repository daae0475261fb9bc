"""Command: evaluate (how well a grader agrees with human scores on a CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from interviewer.cli.options import (
    BankOption,
    GraderChoice,
    GraderOption,
    JsonOption,
    JudgeBaseUrlOption,
    JudgeModelOption,
    judge_options,
)


def evaluate(
    file: Annotated[
        Path,
        typer.Argument(
            help="UTF-8 CSV of human-scored answers: question, reference_answer, student_answer "
            "(or answer), a score column, optional question_id.",
            show_default=False,
        ),
    ],
    grader: GraderOption = GraderChoice.auto,
    score_column: Annotated[
        Optional[str],
        typer.Option("--score-column", help="The human score column [default: score_avg if present, else score].",
                     show_default=False),
    ] = None,
    limit: Annotated[
        Optional[int],
        typer.Option("--limit", min=1, help="Grade only the first N rows.", show_default=False),
    ] = None,
    bank: BankOption = None,
    json_output: JsonOption = False,
    judge_model: JudgeModelOption = None,
    judge_base_url: JudgeBaseUrlOption = None,
) -> None:
    """Grade every row of a human-scored CSV and report agreement with the humans.

    Prints n, Pearson r, Spearman rho, the RMSE of a linear calibration fitted
    leave-one-question-out (in the human score's units), and milliseconds per answer, with
    a per-question table. Questions found in the bank (by question_id, else by prompt) use
    their rubric; the others get one derived from their reference answer.

    Exit codes: 0 done, 2 unusable input.
    """
    from interviewer.bank.loader import load_default_bank
    from interviewer.cli import render
    from interviewer.cli.render import evaluate as view
    from interviewer.evaluation import evaluate as run_evaluation
    from interviewer.grading.select import build_grader

    loaded = load_default_bank(bank or [])
    active = build_grader(grader.value, notify=render.warn, judge=judge_options(judge_model, judge_base_url))
    report = run_evaluation(file, active, bank=loaded, score_column=score_column, limit=limit)
    if json_output:
        render.print_json(report.as_json())
    else:
        view.summary(report)


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
