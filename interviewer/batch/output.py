"""The batch output file (CSV or JSON Lines): its columns, the writer, and reading it back for --resume."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from interviewer.batch.submissions import Submission, is_jsonl
from interviewer.errors import InputError, write_error
from interviewer.grading.models import Grade

OUTPUT_COLUMNS = (
    "id", "candidate", "question_id", "score", "verdict", "covered", "missing",
    "feedback", "needs_review", "grader", "fallback_reason", "error",
)
# Submissions with an audio column: what each recording was heard to say comes last.
AUDIO_OUTPUT_COLUMNS = (*OUTPUT_COLUMNS, "transcript")


def output_columns(audio: bool) -> tuple[str, ...]:
    return AUDIO_OUTPUT_COLUMNS if audio else OUTPUT_COLUMNS


def output_record(
    submission: Submission, question_id: str, grade: Grade | None, error: str | None
) -> dict[str, Any]:
    """The output row for one input row (the columns of `OUTPUT_COLUMNS`)."""
    record: dict[str, Any] = {
        "id": submission.id, "candidate": submission.candidate, "question_id": question_id,
        "score": None, "verdict": None, "covered": "", "missing": "", "feedback": "",
        "needs_review": False, "grader": "", "fallback_reason": "", "error": error,
        "transcript": submission.transcript,
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
            fallback_reason=grade.fallback_reason or "",
        )
    return record


def feedback_text(grade: Grade) -> str:
    parts = [grade.feedback.good, grade.feedback.missing]
    if grade.feedback.next_step:
        parts.append(f"Next step: {grade.feedback.next_step}")
    return " ".join(part.strip() for part in parts if part and part.strip())


def output_format(out: Path, explicit: str | None) -> str:
    if explicit:
        return explicit
    return "jsonl" if is_jsonl(out) else "csv"


class ResultWriter:
    """Appends output rows and flushes after every chunk, so a killed run loses at most one chunk."""

    def __init__(self, path: Path, fmt: str, *, append: bool, columns: tuple[str, ...] = OUTPUT_COLUMNS) -> None:
        self.path, self.format, self.columns = path, fmt, columns
        fresh = not append or not path.exists() or path.stat().st_size == 0
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = path.open("w" if fresh else "a", encoding="utf-8", newline="")
        except OSError as exc:
            raise write_error(path, exc, "the output") from None
        self._csv = csv.writer(self._handle, lineterminator="\n") if fmt == "csv" else None
        self._failed = False
        if fresh and self._csv is not None:
            self._guarded(lambda: self._csv.writerow(columns))

    def write(self, records: Iterable[Mapping[str, Any]]) -> None:
        if self._csv is not None:
            rows = [_csv_cells(record, self.columns) for record in records]
            self._guarded(lambda: self._csv.writerows(rows))
        else:
            text = "".join(
                json.dumps({key: record[key] for key in self.columns}, ensure_ascii=False) + "\n"
                for record in records
            )
            self._guarded(lambda: self._handle.write(text))

    def _guarded(self, write: Any) -> None:
        """Write and flush; a failure (full disk) is one clear WriteError. What reached the
        file may end in a cut-short row, which --resume cuts back."""
        try:
            write()
            self._handle.flush()
        except OSError as exc:
            self._failed = True
            raise write_error(self.path, exc, "the output") from None

    def close(self) -> None:
        try:
            self._handle.close()
        except OSError as exc:
            if not self._failed:  # after a failed write, the unwritten rest is dropped on purpose
                raise write_error(self.path, exc, "the output") from None

    def __enter__(self) -> "ResultWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _csv_cells(record: Mapping[str, Any], columns: tuple[str, ...] = OUTPUT_COLUMNS) -> list[str]:
    cells = []
    for key in columns:
        value = record[key]
        if value is None:
            cells.append("")
        elif isinstance(value, bool):
            cells.append("true" if value else "false")
        else:
            cells.append(str(value))
    return cells


def _from_csv_cells(cells: list[str], columns: tuple[str, ...] = OUTPUT_COLUMNS) -> dict[str, Any]:
    record: dict[str, Any] = dict(zip(columns, cells))
    record["score"] = float(record["score"]) if record["score"] else None
    record["needs_review"] = record["needs_review"] == "true"
    for key in ("verdict", "error"):
        record[key] = record[key] or None
    return record


def read_existing_output(path: Path, fmt: str, columns: tuple[str, ...] = OUTPUT_COLUMNS,
                         redo: Callable[[dict[str, Any]], bool] | None = None) -> Iterator[dict[str, Any]]:
    """The complete rows of an earlier run's output, in order, after `prepare_for_resume`."""
    prepare_for_resume(path, fmt, columns, redo)
    return complete_rows(path, fmt, columns)


def complete_rows(path: Path, fmt: str, columns: tuple[str, ...] = OUTPUT_COLUMNS) -> Iterator[dict[str, Any]]:
    """The rows of an output that `prepare_for_resume` has made ready, in order (none when the
    file is missing or empty)."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return iter(())
    return (record for _, record in _scan_output(path, fmt, columns) if record)


def prepare_for_resume(path: Path, fmt: str, columns: tuple[str, ...] = OUTPUT_COLUMNS,
                       redo: Callable[[dict[str, Any]], bool] | None = None) -> int:
    """Make an earlier run's output ready to append to; returns how many complete rows were cut.

    A run killed mid-write can leave a partial last row: the file is cut back to the end
    of the last complete row. With `redo`, it is cut back to just before the first row `redo`
    picks, so that row and every later one are graded again. An output of a version before
    `fallback_reason` is rewritten with the column first. A file that is not an output of
    this command raises InputError and is left untouched.
    """
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return 0
    earlier = _before_fallback_reason(columns)
    if _first_row_has(path, fmt, earlier):
        _add_fallback_reason(path, fmt, earlier, columns)
    kept_end, cut = 0, 0
    for end, record in _scan_output(path, fmt, columns):
        if record and redo is not None and (cut or redo(record)):
            cut += 1
        elif not cut:
            kept_end = end
    if kept_end < path.stat().st_size:
        with path.open("r+b") as handle:
            handle.truncate(kept_end)
    return cut


def _before_fallback_reason(columns: tuple[str, ...]) -> tuple[str, ...]:
    """The columns of outputs written before `fallback_reason` existed."""
    return tuple(column for column in columns if column != "fallback_reason")


def _first_row_has(path: Path, fmt: str, columns: tuple[str, ...]) -> bool:
    """Whether the file's header (CSV) or first record (JSON Lines) has exactly these columns."""
    with path.open("rb") as handle:
        first = handle.readline()
    if fmt == "csv":
        return first.rstrip(b"\r\n") == ",".join(columns).encode()
    try:
        record = json.loads(first)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return False
    return isinstance(record, dict) and set(record) == set(columns)


def _add_fallback_reason(path: Path, fmt: str, earlier: tuple[str, ...], columns: tuple[str, ...]) -> None:
    """Rewrite an output of an earlier version with today's columns (an empty `fallback_reason`:
    those versions did not say), whole or not at all, so --resume can append to it."""
    upgraded = path.with_name(f"{path.name}.upgrade")
    try:
        with ResultWriter(upgraded, fmt, append=False, columns=columns) as writer:
            writer.write({**record, "fallback_reason": ""} for _, record in _scan_output(path, fmt, earlier) if record)
        os.replace(upgraded, path)
    except BaseException:
        remove_partial(upgraded)
        raise


def _not_ours(path: Path, why: str) -> InputError:
    return InputError(
        f"{path}: --resume: this is not an output of `interviewer grade` ({why}); "
        "choose another --out or drop --resume"
    )


def _scan_output(path: Path, fmt: str, columns: tuple[str, ...] = OUTPUT_COLUMNS) -> Iterator[tuple[int, dict[str, Any]]]:
    """(end offset, record) of every complete row; a cut-short last row is left out."""
    with path.open("rb") as handle:
        offset = 0
        if fmt == "csv":
            header = handle.readline()
            if not header.endswith(b"\n"):
                return  # killed while writing the header
            if header.rstrip(b"\r\n") != ",".join(columns).encode():
                raise _not_ours(path, "its header differs")
            offset = len(header)
            yield offset, {}  # the header alone is a complete prefix
            pending = b""
            for raw in handle:
                pending += raw
                # Quotes are doubled inside quoted fields: an odd count means a field
                # spans lines; a row the kill cut short lacks its final newline.
                if pending.count(b'"') % 2 or not pending.endswith(b"\n"):
                    continue
                try:
                    cells = next(csv.reader([pending.decode("utf-8")]))
                except (csv.Error, UnicodeDecodeError, StopIteration):
                    raise _not_ours(path, f"unreadable row at byte {offset}") from None
                if len(cells) != len(columns):
                    raise _not_ours(path, f"a row with {len(cells)} columns at byte {offset}")
                offset += len(pending)
                pending = b""
                yield offset, _from_csv_cells(cells, columns)
        else:
            for raw in handle:
                if not raw.endswith(b"\n"):
                    return  # cut short
                try:
                    record = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
                    raise _not_ours(path, f"bad JSON at byte {offset}") from None
                if not isinstance(record, dict) or set(record) != set(columns):
                    raise _not_ours(path, f"unexpected fields at byte {offset}")
                offset += len(raw)
                yield offset, record


def remove_partial(path: Path) -> None:
    """Delete a file if present (an unfinished report)."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
