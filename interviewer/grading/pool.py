"""Grading across worker processes, for graders whose work is pure Python (the offline one).

Such a grader holds the GIL for every answer, so threads cannot help; separate processes
use every core. Graders opt in with a true `runs_in_processes` attribute: they must be
picklable and give the same Grade in any process. Requests travel compactly: each distinct
question and rubric once per slice, then only the answers.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from interviewer.bank.models import Question, Rubric
from interviewer.errors import InterviewerError
from interviewer.grading.models import Grade, GradeRequest
from interviewer.grading.protocol import Grader

MAX_WORKERS = 8


def can_run_in_processes(grader: Grader) -> bool:
    return bool(getattr(grader, "runs_in_processes", False))


def default_workers() -> int:
    """One worker per core the process may use, at most MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


def grade_requests(grader: Grader, requests: Sequence[GradeRequest]) -> list[Grade | str]:
    """Grades in input order; an answer the grader fails on gets its error text instead,
    so one odd answer never sinks the others."""
    try:
        grades: list[Grade | str] = list(grader.grade_many(requests))
        if len(grades) != len(requests):
            raise RuntimeError(f"the grader returned {len(grades)} grades for {len(requests)} answers")
        return grades
    except InterviewerError:
        raise
    except Exception:  # noqa: BLE001 - retry one by one to find the answer that fails
        return [_grade_one(grader, request) for request in requests]


def _grade_one(grader: Grader, request: GradeRequest) -> Grade | str:
    try:
        return grader.grade(request)
    except InterviewerError:
        raise
    except Exception as exc:  # noqa: BLE001
        return f"grading failed ({type(exc).__name__}: {exc})"


def _start_worker(parent: int) -> None:
    # Ctrl-C reaches the whole process group: the main process handles it, not the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A parent killed outright (SIGKILL) cannot stop its workers: they notice and leave."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _grade_compact(
    grader: Grader, questions: list[tuple[Question, Rubric]], rows: list[tuple[int, str, bool]]
) -> list[Grade | str]:
    requests = [GradeRequest(question=questions[i][0], rubric=questions[i][1], answer=answer, spoken=spoken)
                for i, answer, spoken in rows]
    return grade_requests(grader, requests)


class GradingPool:
    """Worker processes that grade slices of requests with one grader."""

    def __init__(self, grader: Grader, workers: int) -> None:
        self.grader = grader
        # spawn: a fresh interpreter per worker, safe whatever threads the caller runs (the
        # progress bar's refresh thread, for one), where fork could copy a held lock.
        self._executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker, initargs=(os.getpid(),),
        )
        self.broken = False

    def submit(self, requests: Sequence[GradeRequest]) -> Future[list[Grade | str]]:
        index: dict[tuple[int, int], int] = {}
        questions: list[tuple[Question, Rubric]] = []
        rows: list[tuple[int, str, bool]] = []
        for request in requests:
            key = (id(request.question), id(request.rubric))
            if key not in index:
                index[key] = len(questions)
                questions.append((request.question, request.rubric))
            rows.append((index[key], request.answer, request.spoken))
        if not self.broken:
            try:
                return self._executor.submit(_grade_compact, self.grader, questions, rows)
            except BrokenProcessPool:
                self.broken = True
        done: Future[list[Grade | str]] = Future()
        done.set_result(grade_requests(self.grader, requests))
        return done

    def result(self, future: Future[list[Grade | str]], requests: Sequence[GradeRequest]) -> list[Grade | str]:
        """The grades of a submitted slice. A worker that died (killed, out of memory) breaks
        the pool: its slices, and every later one, are graded in this process instead."""
        try:
            return future.result()
        except BrokenProcessPool:
            self.broken = True
            return grade_requests(self.grader, requests)

    def close(self, *, cancel: bool = False) -> None:
        self._executor.shutdown(wait=not cancel, cancel_futures=cancel)

    def __enter__(self) -> GradingPool:
        return self

    def __exit__(self, kind, value, traceback) -> None:  # type: ignore[no-untyped-def]
        self.close(cancel=kind is not None)
