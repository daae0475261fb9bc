"""Batch grading proper: the question each row answers, and rows graded in order-preserving chunks.

Each chunk is one `grade_many` call; with worker processes, a few chunks are graded ahead
of the one being written (see `grading.pool`).
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from interviewer.bank.loader import Bank
from interviewer.bank.models import QUESTION_ID_PATTERN, BankQuestion, Concept, Level, Question, Rubric
from interviewer.batch.output import output_record
from interviewer.batch.submissions import Submission
from interviewer.grading.models import Grade, GradeRequest, WarningKind
from interviewer.grading.pool import GradingPool, can_run_in_processes, grade_requests
from interviewer.grading.protocol import Grader

CHUNK_SIZE = 256
# The first chunks are smaller, so progress shows (and the first rows reach the output) within
# seconds even with a slow grader; later chunks are full size for throughput.
FIRST_CHUNK_SIZES = (8, 32, 128)

RubricDeriver = Callable[[Question], Rubric]
JUDGE_FAILED = "the judge failed"


def judge_failed_on(record: dict[str, Any]) -> bool:
    """Whether an output row is an error because the judge failed on it (`--judge-failure error`)."""
    return f": {JUDGE_FAILED} (" in str(record.get("error") or "")


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

    def judge_failure_as_error(self) -> BatchResult:
        """This row as an error when the judge failed on it (no fallback grade kept)."""
        if self.grade is None or not self.grade.has_warning(WarningKind.judge_failed):
            return self
        reason = (self.grade.fallback_reason or "judge failed").removeprefix("judge: ")
        return BatchResult(self.submission, self.question_id, item=self.item,
                           error=f"line {self.submission.line}: {JUDGE_FAILED} ({reason}); not graded")


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
    sizes = [min(first, size) for first in FIRST_CHUNK_SIZES]
    chunk: list[Submission] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= (sizes[0] if sizes else size):
            yield chunk
            chunk = []
            sizes = sizes[1:]
    if chunk:
        yield chunk


@dataclass
class _PlannedChunk:
    """A chunk with its rows resolved: what is left to grade, and where each result goes."""

    results: list[BatchResult | None]
    todo: list[tuple[int, Submission, str, BankQuestion]]

    @property
    def requests(self) -> list[GradeRequest]:
        # a recording's transcript is graded as spoken: its punctuation is the recogniser's
        return [GradeRequest.for_item(item, submission.answer, spoken=bool(submission.transcript))
                for _, submission, _, item in self.todo]

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
