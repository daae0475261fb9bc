"""Command: grade (batch-grade a file of written submissions)."""

from __future__ import annotations

from enum import Enum
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
    OutAliasOption,
    chosen_output,
    judge_options,
)


class OutputFormat(str, Enum):
    csv = "csv"
    jsonl = "jsonl"


class JudgeFailure(str, Enum):
    fallback = "fallback"
    error = "error"


def grade(
    submissions: Annotated[
        Path,
        typer.Argument(
            help="CSV or JSON Lines file (.jsonl/.ndjson) of answers, UTF-8. Each row names a "
            "question_id from the bank, or carries question + reference_answer inline (optional "
            "keywords); the answer in answer or student_answer; optional candidate and id.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", metavar="FILE", help="Output file. Default: SUBMISSIONS stem + "
                     ".graded.csv (or .graded.jsonl) beside it.", show_default=False),
    ] = None,
    out: OutAliasOption = None,
    output_format: Annotated[
        Optional[OutputFormat],
        typer.Option("--format", "-f", help="Output format. Default: from the --output extension, else csv.",
                     case_sensitive=False, show_default=False),
    ] = None,
    grader: GraderOption = GraderChoice.auto,
    bank: BankOption = None,
    concurrency: ConcurrencyOption = None,
    workers: Annotated[
        Optional[int],
        typer.Option("--workers", min=1, show_default=False,
                     help="Processes that grade with the offline grader. Default: one per CPU core. "
                     "(The embedding model already uses every core; the judge uses --concurrency.)"),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue an interrupted run: keep the rows already in the "
                     "output, grade and append the rest (same final file as one uninterrupted run)."),
    ] = False,
    report: Annotated[
        Optional[Path],
        typer.Option("--report", help="Also write a self-contained HTML report (summary and every "
                     "answer's details) to this file.", show_default=False),
    ] = None,
    columns: Annotated[
        Optional[list[str]],
        typer.Option("--column", "-c", metavar="FIELD=NAME", show_default=False,
                     help="Read a field from a differently named column, e.g. --column answer=response. "
                     "Fields: id, candidate, question_id, question, reference_answer, keywords, answer. "
                     "Repeatable."),
    ] = None,
    json_output: JsonOption = False,
    judge_model: JudgeModelOption = None,
    judge_base_url: JudgeBaseUrlOption = None,
    judge_timeout: JudgeTimeoutOption = None,
    judge_failure: Annotated[
        JudgeFailure,
        typer.Option("--judge-failure", case_sensitive=False,
                     help="When the judge fails on an answer: 'fallback' grades it with the evidence grader "
                     "(the row's grader and fallback_reason say so; exit code 5), 'error' makes it a row "
                     "error instead (exit code 1)."),
    ] = JudgeFailure.fallback,
) -> None:
    """Batch-grade written submissions into a CSV/JSONL file, with a summary.

    One output row per input row, in input order: id, candidate, question_id, score, verdict, covered, missing, feedback, needs_review, grader, fallback_reason, error. A row that cannot be graded (unknown question, empty or over-long answer, malformed line) gets an error and the run goes on. grader names the grader that graded the row; fallback_reason says why it is not the one chosen (the judge failed, the model could not load).

    One run at a time writes an output file: another run on the same output is refused.

    Exit codes: 0 every row graded by the chosen grader, 1 some rows have an error, 2 unusable input or another run is writing the output, 3 the transcript database cannot be used, 4 a file cannot be written (disk full, read-only folder), 5 every row graded but some fell back to another grader, 130 interrupted.
    """
    from interviewer.bank.loader import load_default_bank
    from interviewer.batch.run import BatchJob, run_batch
    from interviewer.batch.submissions import count_rows, parse_column_mapping
    from interviewer.cli import render
    from interviewer.cli.render import batch as view
    from interviewer.grading.pool import default_workers
    from interviewer.grading.rubric_from_reference import derive_rubric
    from interviewer.grading.select import build_grader
    from interviewer.store.db import connect

    job = BatchJob(
        source=submissions, out=chosen_output(output, out), format=output_format.value if output_format else None,
        resume=resume, report=report, mapping=parse_column_mapping(columns or []),
        workers=workers or default_workers(), judge_failure=judge_failure.value,
    )
    loaded = load_default_bank(bank or [])
    notify = None if json_output else render.warn
    # Only the judge sends requests in parallel; the other graders batch internally.
    judge = judge_options(judge_model, judge_base_url, judge_timeout, concurrency)

    def make_grader():  # type: ignore[no-untyped-def]
        return build_grader(grader.value, notify=notify, judge=judge)

    total = count_rows(submissions) if not json_output and render.err_console.is_terminal else None
    db = connect()
    try:
        with view.progress(total, quiet=json_output) as display:
            result = run_batch(
                job, bank=loaded, grader_factory=make_grader, db=db, derive_rubric=derive_rubric,
                grader_choice=grader.value, on_rows=display.advance, on_step=display.step,
            )
    except KeyboardInterrupt:
        render.error(f"interrupted: the rows graded so far are in {job.output_path()}; "
                     "run the same command with --resume to grade the rest")
        raise typer.Exit(130) from None
    finally:
        db.close()
    if json_output:
        render.print_json(result.as_dict())
    else:
        view.summary(result)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    app.command("grade")(grade)
