"""Batch grading: submissions file in, graded file out, recorded in the store.

Everything streams. Rows are read one at a time, graded in order-preserving chunks
(one `grade_many` call each), and every chunk is committed to the store and then
appended and flushed to the output before the next is read. A killed run therefore
loses at most the chunk in flight, and `--resume` picks up after the last complete
output row. The summary keeps running aggregates only (see `ScoreStats`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

from interviewer.bank.loader import Bank
from interviewer.batch import store
from interviewer.batch.grading import CHUNK_SIZE, QuestionResolver, RubricDeriver, grade_in_chunks, judge_failed_on
from interviewer.batch.lock import OutputLock
from interviewer.batch.output import (
    ResultWriter, complete_rows, output_columns, output_format, prepare_for_resume,
)
from interviewer.batch.report import HtmlReport, ReportSink
from interviewer.batch.submissions import Submission, has_audio_column, read_submissions
from interviewer.batch.summary import BatchSummary
from interviewer.errors import InputError, WriteError, write_error
from interviewer.grading.protocol import Grader

T = TypeVar("T")


def default_output_path(source: Path, fmt: str | None) -> Path:
    """SUBMISSIONS stem + `.graded.csv` (or `.graded.jsonl`) beside the input."""
    return source.with_name(f"{source.stem}.graded.{fmt or 'csv'}")


@dataclass
class BatchJob:
    source: Path
    out: Path | None = None
    format: str | None = None
    resume: bool = False
    report: Path | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    chunk_size: int = CHUNK_SIZE
    workers: int = 1  # processes for a grader that can use them (see grading.pool)
    judge_failure: str = "fallback"  # or "error": a row the judge failed on is an error, not a fallback

    def output_path(self) -> Path:
        return self.out if self.out is not None else default_output_path(self.source, self.format)

    def output_format(self) -> str:
        return output_format(self.output_path(), self.format)


def run_batch(
    job: BatchJob,
    *,
    bank: Bank,
    grader_factory: Callable[[], Grader],
    db: sqlite3.Connection,
    derive_rubric: RubricDeriver | None = None,
    grader_choice: str = "",
    on_rows: Callable[[int], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> BatchSummary:
    """Grade a submissions file into the output file; returns the summary.

    `on_rows(n)` is called as rows are done (resumed rows too), `on_step(what)` before a slow
    step (loading the model), for progress display. Another run writing the same output (or
    report) is refused before anything is read, loaded or written.
    """
    source = job.source.resolve()
    out = job.output_path().resolve()
    fmt = job.output_format()
    if out == source:
        raise InputError(f"{out}: the output would overwrite the submissions file; choose another --out")
    report_path = job.report.resolve() if job.report is not None else None
    if report_path is not None and report_path in (source, out):
        raise InputError(f"{job.report}: the report would overwrite the submissions or output file")
    submissions = read_submissions(source, job.mapping)  # checks the file before anything is written
    audio = has_audio_column(source, job.mapping)
    if audio:
        from interviewer.voice import require_transcription

        require_transcription()  # recordings need the voice extra: say so before anything is written
    doing = f"{'resuming' if job.resume else 'grading'} {source.name} into {out.name}"
    with ExitStack() as held:
        locks = [held.enter_context(OutputLock(path, doing)) for path in (out, report_path) if path is not None]
        step = on_step or (lambda what: None)
        step(f"loading the {grader_choice or 'chosen'} grader")
        grader = grader_factory()
        if (warm_up := _model_loader(grader)) is not None:
            step("loading the embedding model")
            warm_up()
        summary = _run(job, source, out, fmt, grader, QuestionResolver(bank, derive_rubric), db,
                       submissions, grader_choice, on_rows or (lambda count: None), locks, audio)
    return summary


def _model_loader(grader: Grader) -> Callable[[], None] | None:
    """The grader's (or its evidence grader's) `warm_up`, which loads a model."""
    for candidate in (grader, getattr(grader, "evidence", None)):
        warm_up = getattr(candidate, "warm_up", None)
        if callable(warm_up):
            return warm_up
    return None


def _run(
    job: BatchJob, source: Path, out: Path, fmt: str, grader: Grader, resolver: QuestionResolver,
    db: sqlite3.Connection, submissions: Iterator[Submission], grader_choice: str,
    notify: Callable[[int], None], locks: list[OutputLock], audio: bool,
) -> BatchSummary:
    columns = output_columns(audio)
    summary = BatchSummary(source=str(source), output=str(out), format=fmt, grader=grader.name,
                           report=str(job.report.resolve()) if job.report else None)
    session_id = store.find_batch_session(db, source, out) if job.resume else None
    existing: Iterator[dict[str, Any]] = iter(())
    if session_id is not None or (job.resume and out.exists()):
        # Rows the judge failed on are graded again: the output is cut back to the first of them.
        summary.redone = prepare_for_resume(out, fmt, columns, redo=judge_failed_on)
        existing = complete_rows(out, fmt, columns)
        if session_id is not None:
            earlier = store.session_grader(db, session_id)
            if earlier and earlier != grader.name:
                raise InputError(
                    f"{out}: --resume: the earlier run used the {earlier} grader, this one {grader.name}; "
                    f"resume with --grader {earlier}, or drop --resume to grade everything again"
                )
    created = session_id is None
    if session_id is None:
        session_id = _writing_store(db, lambda: store.create_batch_session(
            db, source=source, output=out, grader=grader.name,
            settings={"output": str(out), "format": fmt, "columns": job.mapping, "grader_choice": grader_choice},
        ))
    summary.session_id = session_id
    report = ReportSink()
    started = time.perf_counter()
    try:
        report = _open_report(job, summary)
        with ResultWriter(out, fmt, append=job.resume, columns=columns) as writer:
            fresh = _skip_done(submissions, existing, summary, report, db, session_id, out, notify)
            if audio:
                from interviewer.batch.audio import transcribe_recordings

                fresh = transcribe_recordings(fresh, base=source.parent, resolver=resolver)
            first, snapshots = True, store.SnapshotRefs()
            for results in grade_in_chunks(fresh, grader, resolver, job.chunk_size, job.workers):
                if job.judge_failure == "error":
                    results = [result.judge_failure_as_error() for result in results]
                # The store first, then the file: the file is what --resume trusts, and
                # store rows past the file's end are dropped when a resumed run starts.
                _writing_store(db, lambda: store.record_chunk(
                    db, session_id, results, snapshots=snapshots,
                    replace_from=results[0].submission.row if first else None))
                first = False
                records = [result.record() for result in results]
                writer.write(records)
                for result, record in zip(results, records):
                    summary.add(record)
                    if result.grade is not None:
                        summary.judge_usage.add(result.grade)
                    report.add(record, result.submission.answer, result.grade, audio=result.submission.audio)
                notify(len(results))
                for lock in locks:
                    lock.describe(rows=summary.rows)
        _writing_store(db, lambda: store.finish_batch_session(db, session_id))
        summary.seconds = time.perf_counter() - started
        report.finish(summary)
    except BaseException as exc:
        report.discard()
        if created:
            store.drop_if_empty(db, session_id)  # a run that graded nothing leaves no session behind
        if isinstance(exc, WriteError) and summary.rows:
            raise WriteError(f"{exc.message}. The {summary.rows:,} rows done are kept: make room, then run "
                             "the same command with --resume") from None
        raise
    return summary


def _writing_store(db: sqlite3.Connection, write: Callable[[], T]) -> T:
    """Run a store write; a full disk or read-only folder is one clear WriteError naming the database."""
    try:
        return write()
    except sqlite3.OperationalError as exc:
        if not any(word in str(exc).lower() for word in ("full", "readonly", "read-only", "disk i/o")):
            raise
        raise write_error(store.database_file(db), exc, "the transcript database") from None


def _skip_done(
    submissions: Iterator[Submission],
    existing: Iterator[dict[str, Any]],
    summary: BatchSummary,
    report: ReportSink,
    db: sqlite3.Connection,
    session_id: str,
    out: Path,
    notify: Callable[[int], None],
) -> Iterator[Submission]:
    """Pass over the rows an earlier run already wrote (checking they match), then yield the rest."""
    for submission in submissions:
        record = next(existing, None)
        if record is None:
            yield submission
            yield from submissions
            return
        if str(record.get("id")) != submission.id:
            raise InputError(
                f"{out}: --resume: output row {summary.rows + 1} has id '{record.get('id')}' but input row "
                f"{submission.row} has id '{submission.id}': the submissions changed since that run. "
                "Drop --resume to grade everything again"
            )
        summary.resumed += 1
        summary.add(record)
        grade = store.stored_grade(db, session_id, submission.row) if report.wants_details else None
        report.add(record, submission.answer or record.get("transcript") or "", grade, audio=submission.audio)
        notify(1)
    if next(existing, None) is not None:
        raise InputError(
            f"{out}: --resume: the output has more rows than the submissions file; "
            "drop --resume to grade everything again"
        )


def _open_report(job: BatchJob, summary: BatchSummary) -> ReportSink:
    if job.report is None:
        return ReportSink()
    return HtmlReport(job.report, summary)
