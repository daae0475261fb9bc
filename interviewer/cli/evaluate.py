"""Command: evaluate (how well a grader agrees with human scores on a CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from interviewer.cli.options import (
    BankOption,
    ConcurrencyOption,
    GraderChoice,
    GraderOption,
    JsonOption,
    JudgeBaseUrlOption,
    JudgeModelOption,
    JudgeTimeoutOption,
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
        typer.Option("--score-column", help="The human score column \\[default: score_avg if present, else score].",
                     show_default=False),
    ] = None,
    limit: Annotated[
        Optional[int],
        typer.Option("--limit", "-n", min=1, help="Grade only the first N rows.", show_default=False),
    ] = None,
    bank: BankOption = None,
    json_output: JsonOption = False,
    judge_model: JudgeModelOption = None,
    judge_base_url: JudgeBaseUrlOption = None,
    judge_timeout: JudgeTimeoutOption = None,
    concurrency: ConcurrencyOption = None,
    save_weight: Annotated[
        bool,
        typer.Option("--save-weight", help="With the judge: keep the blend weight that agreed best with the "
                     "human scores of this file, for this judge model and the file's banks; grade, practice and "
                     "evaluate then blend with it."),
    ] = False,
) -> None:
    """Grade every row of a human-scored CSV and report agreement with the humans.

    Prints n, Pearson r, Spearman rho, the RMSE of a linear calibration fitted
    leave-one-question-out (in the human score's units), and milliseconds per answer, with
    a per-question table. Questions found in the bank (by question_id, else by prompt) use
    their rubric; the others get one derived from their reference answer.

    With the judge it also reports the agreement of the model's own score, of its evidence
    grader alone and of the blend, how many answers were judged, cached or fell back (and
    why), and says in plain words when the judge barely varies or costs agreement.

    Exit codes: 0 done, 2 unusable input (or --save-weight with nothing to save).
    """
    from interviewer.bank.loader import load_default_bank
    from interviewer.cli import render
    from interviewer.cli.render import evaluate as view
    from interviewer.evaluation import evaluate as run_evaluation
    from interviewer.evaluation import save_measured_weight
    from interviewer.grading.select import build_grader

    loaded = load_default_bank(bank or [])
    active = build_grader(grader.value, notify=render.warn, judge=judge_options(judge_model, judge_base_url, judge_timeout, concurrency))
    report = run_evaluation(file, active, bank=loaded, score_column=score_column, limit=limit)
    saved = save_measured_weight(report) if save_weight else None
    if json_output:
        render.print_json({**report.as_json(), "saved_weight_banks": saved})
    else:
        view.summary(report)
        if saved is not None and report.judge is not None:
            view.saved_weight(report.judge, saved)


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
