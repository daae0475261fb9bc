"""Batch grading: submissions file in, graded file out, recorded in the store.

Everything streams. Rows are read one at a time, graded in order-preserving chunks
(one `grade_many` call each), and every chunk is committed to the store and then
appended and flushed to the output before the next is read. A killed run therefore
loses at most the chunk in flight, and `--resume` picks up after the last complete
output row. The summary keeps running aggregates only (see `ScoreStats`).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from interviewer.bank.loader import Bank
from interviewer.bank.models import QUESTION_ID_PATTERN, BankQuestion, Concept, Level, Question, Rubric
from interviewer.batch_io import (
    ResultWriter,
    Submission,
    output_format,
    read_existing_output,
    read_submissions,
)
from interviewer.errors import InputError
from interviewer.grading.judge.usage import JudgeUsage
from interviewer.grading.models import Grade, GradeRequest
from interviewer.grading.pool import GradingPool, can_run_in_processes, grade_requests
from interviewer.grading.protocol import Grader

CHUNK_SIZE = 256
REVIEW_LIST_LIMIT = 100  # rows needing review (and error rows) listed in the summary
HISTOGRAM_BINS = 10

RubricDeriver = Callable[[Question], Rubric]


@dataclass(frozen=True, slots=True)
class BatchResult:
    """One graded (or failed) row."""

    submission: Submission
    question_id: str
    grade: Grade | None = None
    error: str | None = None
    item: BankQuestion | None = None

    def record(self) -> dict[str, Any]:
        return output_record(self.submission, self.question_id, self.grade, self.error)


def output_record(
    submission: Submission, question_id: str, grade: Grade | None, error: str | None
) -> dict[str, Any]:
    """The output row for one input row (the columns of `OUTPUT_COLUMNS`)."""
    record: dict[str, Any] = {
        "id": submission.id, "candidate": submission.candidate, "question_id": question_id,
        "score": None, "verdict": None, "covered": "", "missing": "", "feedback": "",
        "needs_review": False, "grader": "", "error": error,
    }
    if grade is not None:
        record.update(
            score=round(grade.score, 1),
            verdict=grade.verdict.value,
            covered="; ".join([c.label for c in grade.covered] + [f"{c.label} (partly)" for c in grade.partly]),
            missing="; ".join(c.label for c in grade.missing),
            feedback=feedback_text(grade),
            needs_review=grade.needs_review,
            grader=grade.grader,
        )
    return record


def feedback_text(grade: Grade) -> str:
    parts = [grade.feedback.good, grade.feedback.missing]
    if grade.feedback.next_step:
        parts.append(f"Next step: {grade.feedback.next_step}")
    return " ".join(part.strip() for part in parts if part and part.strip())


# --- questions for rows --------------------------------------------------------------------

_ID_RE = re.compile(QUESTION_ID_PATTERN)


class QuestionResolver:
    """Finds the question a row answers: a bank question by id, or one given inline.

    Inline questions get their rubric from `keywords` (one concept each), else from
    `derive_rubric(question)` (concepts drawn from the reference answer). Built inline
    questions are cached by content, so repeated rows cost one lookup.
    """

    def __init__(self, bank: Bank, derive_rubric: RubricDeriver | None = None) -> None:
        self.bank = bank
        self.derive_rubric = derive_rubric
        self._inline = lru_cache(maxsize=1024)(self._build_inline)

    def resolve(self, submission: Submission) -> tuple[str, BankQuestion | None, str | None]:
        """(question id, bank question or None, error or None)."""
        qid = submission.question_id
        if qid and qid in self.bank:
            return qid, self.bank.items[qid], None
        if submission.question and submission.reference_answer:
            try:
                item = self._inline(qid, submission.question, submission.reference_answer, submission.keywords)
            except ValueError as exc:
                return qid, None, f"line {submission.line}: cannot use the inline question ({exc})"
            return item.id, item, None
        return qid, None, (
            f"line {submission.line}: unknown question id '{qid}' "
            "(not in the bank: see `interviewer bank list`, or add --bank)"
        )

    def _build_inline(self, qid: str, prompt: str, reference: str, keywords: str) -> BankQuestion:
        if not _ID_RE.match(qid):
            digest = hashlib.sha1(f"{prompt}\0{reference}".encode()).hexdigest()[:10]
            qid = f"inline/{digest}"
        question = Question(
            id=qid, level=Level.intermediate, prompt=prompt, reference_answer=reference, source="inline"
        )
        labels = list(dict.fromkeys(k.strip() for k in re.split(r"[;,]", keywords) if k.strip()))
        if labels:
            rubric = Rubric(question_id=qid, concepts=[Concept(label=label) for label in labels])
        elif self.derive_rubric is not None:
            rubric = self.derive_rubric(question)
        else:
            rubric = Rubric(question_id=qid, concepts=[Concept(label=reference[:200])])
        return BankQuestion(question=question, rubric=rubric)


# --- grading -----------------------------------------------------------------------------


def _chunks(items: Iterable[Submission], size: int) -> Iterator[list[Submission]]:
    chunk: list[Submission] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class _PlannedChunk:
    """A chunk with its rows resolved: what is left to grade, and where each result goes."""

    results: list[BatchResult | None]
    todo: list[tuple[int, Submission, str, BankQuestion]]

    @property
    def requests(self) -> list[GradeRequest]:
        return [GradeRequest.for_item(item, submission.answer) for _, submission, _, item in self.todo]

    def finish(self, grades: Sequence[Grade | str]) -> list[BatchResult]:
        for (position, submission, qid, item), grade in zip(self.todo, grades):
            if isinstance(grade, str):
                self.results[position] = BatchResult(submission, qid, error=f"line {submission.line}: {grade}", item=item)
            else:
                self.results[position] = BatchResult(submission, qid, grade=grade, item=item)
        return [result for result in self.results if result is not None]


def _plan_chunk(resolver: QuestionResolver, chunk: Sequence[Submission]) -> _PlannedChunk:
    planned = _PlannedChunk([], [])
    for submission in chunk:
        if submission.error:
            planned.results.append(BatchResult(submission, submission.question_id, error=submission.error))
            continue
        qid, item, error = resolver.resolve(submission)
        if error or item is None:
            planned.results.append(BatchResult(submission, qid, error=error))
            continue
        planned.todo.append((len(planned.results), submission, qid, item))
        planned.results.append(None)
    return planned


def grade_chunk(grader: Grader, resolver: QuestionResolver, chunk: Sequence[Submission]) -> list[BatchResult]:
    """Grade one chunk with a single `grade_many` call; results in input order."""
    planned = _plan_chunk(resolver, chunk)
    return planned.finish(grade_requests(grader, planned.requests) if planned.todo else [])


def grade_in_chunks(
    submissions: Iterable[Submission],
    grader: Grader,
    resolver: QuestionResolver,
    chunk_size: int = CHUNK_SIZE,
    workers: int = 1,
) -> Iterator[list[BatchResult]]:
    """Each chunk's results, in input order.

    With `workers` > 1 and a grader that can run in processes, chunks are graded by a pool
    of worker processes, a few ahead of the one being written; the first chunk is graded
    here while the workers start. A file of a single chunk never starts them.
    """
    chunks = _chunks(submissions, chunk_size)
    if workers <= 1 or not can_run_in_processes(grader):
        for chunk in chunks:
            yield grade_chunk(grader, resolver, chunk)
        return
    first = next(chunks, None)
    second = next(chunks, None) if first is not None else None
    if second is None:
        if first is not None:
            yield grade_chunk(grader, resolver, first)
        return
    with GradingPool(grader, workers) as pool:
        pending: deque[tuple[_PlannedChunk, Future[list[Grade | str]]]] = deque()

        def submit(chunk: list[Submission]) -> None:
            planned = _plan_chunk(resolver, chunk)
            pending.append((planned, pool.submit(planned.requests)))

        def oldest() -> list[BatchResult]:
            planned, future = pending.popleft()
            return planned.finish(pool.result(future, planned.requests))

        submit(second)
        yield grade_chunk(grader, resolver, first)  # graded here while the workers start
        for chunk in chunks:
            submit(chunk)
            if len(pending) > workers:  # the workers stay busy while this process writes
                yield oldest()
        while pending:
            yield oldest()


def grade_submissions(
    submissions: Iterable[Submission],
    grader: Grader,
    resolver: QuestionResolver,
    chunk_size: int = CHUNK_SIZE,
    workers: int = 1,
) -> Iterator[BatchResult]:
    """Every row's result, in input order, graded `chunk_size` rows at a time."""
    for results in grade_in_chunks(submissions, grader, resolver, chunk_size, workers):
        yield from results


# --- summary -------------------------------------------------------------------------------


@dataclass
class ScoreStats:
    """Count, mean and exact median of scores rounded to 0.1 (as written in the output).

    Scores are kept as a count per tenth of a point, at most 1,001 entries however many
    rows there are, so memory stays flat.
    """

    count: int = 0
    total: float = 0.0
    tenths: Counter = field(default_factory=Counter)

    def add(self, score: float) -> None:
        self.count += 1
        self.total += score
        self.tenths[round(score * 10)] += 1

    @property
    def mean(self) -> float | None:
        return round(self.total / self.count, 1) if self.count else None

    @property
    def median(self) -> float | None:
        if not self.count:
            return None
        ordered = sorted(self.tenths.items())

        def nth(n: int) -> int:
            seen = 0
            for value, times in ordered:
                seen += times
                if seen > n:
                    return value
            return ordered[-1][0]

        middle = self.count // 2
        if self.count % 2:
            return nth(middle) / 10
        return round((nth(middle - 1) + nth(middle)) / 20, 2)

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "mean": self.mean, "median": self.median}


@dataclass
class BatchSummary:
    """Running aggregates over output rows (fed in order; never holds the rows)."""

    source: str = ""
    output: str = ""
    format: str = "csv"
    grader: str = ""
    session_id: str | None = None
    report: str | None = None
    rows: int = 0
    graded: int = 0
    errors: int = 0
    needs_review: int = 0
    resumed: int = 0
    seconds: float = 0.0
    overall: ScoreStats = field(default_factory=ScoreStats)
    histogram: list[int] = field(default_factory=lambda: [0] * HISTOGRAM_BINS)
    per_question: dict[str, ScoreStats] = field(default_factory=dict)
    per_candidate: dict[str, ScoreStats] = field(default_factory=dict)
    review: list[dict[str, Any]] = field(default_factory=list)
    error_rows: list[dict[str, Any]] = field(default_factory=list)
    judge_usage: JudgeUsage = field(default_factory=JudgeUsage)

    def add(self, record: dict[str, Any]) -> None:
        self.rows += 1
        if record.get("error"):
            self.errors += 1
            if len(self.error_rows) < REVIEW_LIST_LIMIT:
                self.error_rows.append({"id": record["id"], "error": record["error"]})
            return
        score = record.get("score")
        if score is None:
            return
        self.graded += 1
        self.overall.add(score)
        self.histogram[min(int(score // (100 / HISTOGRAM_BINS)), HISTOGRAM_BINS - 1)] += 1
        self.per_question.setdefault(record["question_id"], ScoreStats()).add(score)
        self.per_candidate.setdefault(record.get("candidate") or "", ScoreStats()).add(score)
        if record.get("needs_review"):
            self.needs_review += 1
            if len(self.review) < REVIEW_LIST_LIMIT:
                self.review.append({
                    "id": record["id"], "candidate": record.get("candidate") or "",
                    "question_id": record["question_id"], "score": score, "verdict": record.get("verdict"),
                })

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def as_dict(self) -> dict[str, Any]:
        width = 100 // HISTOGRAM_BINS
        return {
            "source": self.source, "output": self.output, "format": self.format, "report": self.report,
            "grader": self.grader, "session_id": self.session_id,
            "rows": self.rows, "graded": self.graded, "errors": self.errors,
            "needs_review": self.needs_review, "resumed": self.resumed,
            "seconds": round(self.seconds, 2),
            "rows_per_second": round((self.rows - self.resumed) / self.seconds, 1) if self.seconds else None,
            "score": self.overall.as_dict(),
            "histogram": [
                {"from": i * width, "to": (i + 1) * width, "count": count}
                for i, count in enumerate(self.histogram)
            ],
            "per_question": {qid: stats.as_dict() for qid, stats in sorted(self.per_question.items())},
            "per_candidate": {name: stats.as_dict() for name, stats in sorted(self.per_candidate.items())},
            "review": self.review,
            "error_rows": self.error_rows,
            "judge_usage": self.judge_usage.as_dict() if self.judge_usage.any else None,
            "exit_code": self.exit_code,
        }


# --- a whole run ---------------------------------------------------------------------------


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

    def output_path(self) -> Path:
        return self.out if self.out is not None else default_output_path(self.source, self.format)

    def output_format(self) -> str:
        return output_format(self.output_path(), self.format)


class ReportSink:
    """Where per-row details go for the HTML report (see `interviewer.report_html`).

    This base keeps nothing: the run without --report.
    """

    wants_details = False

    def add(self, record: dict[str, Any], answer: str, grade: Grade | None) -> None: ...

    def finish(self, summary: BatchSummary) -> None: ...

    def discard(self) -> None: ...


def run_batch(
    job: BatchJob,
    *,
    bank: Bank,
    grader_factory: Callable[[], Grader],
    db: sqlite3.Connection,
    derive_rubric: RubricDeriver | None = None,
    grader_choice: str = "",
    on_rows: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Grade a submissions file into the output file; returns the summary.

    `on_rows(n)` is called as rows are done (resumed rows too), for progress display.
    """
    from interviewer.store import batches

    source = job.source.resolve()
    out = job.output_path().resolve()
    fmt = job.output_format()
    if out == source:
        raise InputError(f"{out}: the output would overwrite the submissions file; choose another --out")
    if job.report is not None and job.report.resolve() in (source, out):
        raise InputError(f"{job.report}: the report would overwrite the submissions or output file")
    submissions = read_submissions(source, job.mapping)  # checks the file before anything is written
    grader = grader_factory()
    resolver = QuestionResolver(bank, derive_rubric)
    summary = BatchSummary(source=str(source), output=str(out), format=fmt, grader=grader.name,
                           report=str(job.report.resolve()) if job.report else None)
    notify = on_rows or (lambda count: None)

    session_id = batches.find_batch_session(db, source, out) if job.resume else None
    existing: Iterator[dict[str, Any]] = iter(())
    if session_id is not None or (job.resume and out.exists()):
        existing = read_existing_output(out, fmt)
        if session_id is not None:
            earlier = batches.session_grader(db, session_id)
            if earlier and earlier != grader.name:
                raise InputError(
                    f"{out}: --resume: the earlier run used the {earlier} grader, this one {grader.name}; "
                    f"resume with --grader {earlier}, or drop --resume to grade everything again"
                )
    if session_id is None:
        session_id = batches.create_batch_session(
            db, source=source, output=out, grader=grader.name,
            settings={"output": str(out), "format": fmt, "columns": job.mapping, "grader_choice": grader_choice},
        )
    summary.session_id = session_id
    report = _open_report(job, summary)

    started = time.perf_counter()
    try:
        with ResultWriter(out, fmt, append=job.resume) as writer:
            fresh = _skip_done(submissions, existing, summary, report, db, session_id, out, notify)
            first, snapshots = True, batches.SnapshotRefs()
            for results in grade_in_chunks(fresh, grader, resolver, job.chunk_size, job.workers):
                # The store first, then the file: the file is what --resume trusts, and
                # store rows past the file's end are dropped when a resumed run starts.
                batches.record_chunk(db, session_id, results, snapshots=snapshots,
                                     replace_from=results[0].submission.row if first else None)
                first = False
                records = [result.record() for result in results]
                writer.write(records)
                for result, record in zip(results, records):
                    summary.add(record)
                    if result.grade is not None:
                        summary.judge_usage.add(result.grade)
                    report.add(record, result.submission.answer, result.grade)
                notify(len(results))
        batches.finish_batch_session(db, session_id)
        summary.seconds = time.perf_counter() - started
        report.finish(summary)
    except BaseException:
        report.discard()
        raise
    return summary


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
    from interviewer.store import batches

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
        grade = batches.stored_grade(db, session_id, submission.row) if report.wants_details else None
        report.add(record, submission.answer, grade)
        notify(1)
    if next(existing, None) is not None:
        raise InputError(
            f"{out}: --resume: the output has more rows than the submissions file; "
            "drop --resume to grade everything again"
        )


def _open_report(job: BatchJob, summary: BatchSummary) -> ReportSink:
    if job.report is None:
        return ReportSink()
    from interviewer.report_html import HtmlReport

    return HtmlReport(job.report, summary)
