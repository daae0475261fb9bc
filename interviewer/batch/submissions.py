"""Reading batch submissions files (CSV and JSON Lines), one row at a time.

Nothing here holds more than one row at a time. Problems with the whole file (missing,
not UTF-8, no answer column) raise InputError; problems with one row become that row's
`error` so the batch goes on.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from interviewer.errors import InputError

MAX_ANSWER_CHARS = 20_000
# A JSON line or CSV field past this size is a row error, read past without keeping it.
MAX_RECORD_BYTES = 1_000_000
JSONL_SUFFIXES = (".jsonl", ".ndjson")

# Canonical field names and the other spellings accepted without --column.
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "candidate": ("candidate",),
    "question_id": ("question_id",),
    "question": ("question",),
    "reference_answer": ("reference_answer",),
    "keywords": ("keywords",),
    "answer": ("answer", "student_answer"),
    "audio": ("audio",),  # a recorded answer (a path relative to the submissions file), in place of `answer`
}


csv.field_size_limit(MAX_RECORD_BYTES)


@dataclass(frozen=True, slots=True)
class Submission:
    """One input row. `error` is set when the row cannot be graded as it stands."""

    row: int  # 1-based position among the data rows
    line: int  # the file line the row starts on
    id: str
    candidate: str = ""
    question_id: str = ""
    question: str = ""
    reference_answer: str = ""
    keywords: str = ""
    answer: str = ""
    error: str | None = None
    audio: str = ""  # the recording as the row names it; `answer` is empty until it is transcribed
    transcript: str = ""  # what the recording says (the answer graded)
    delivery: dict[str, Any] | None = None  # its delivery figures


def is_jsonl(path: Path) -> bool:
    return path.suffix.lower() in JSONL_SUFFIXES


def parse_column_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """`canonical=actual` options into {canonical: actual}."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        canonical, sep, actual = pair.partition("=")
        canonical, actual = canonical.strip().lower(), actual.strip()
        if not sep or not actual:
            raise InputError(f"--column '{pair}': use canonical=actual, e.g. --column answer=response")
        if canonical == "student_answer":
            canonical = "answer"
        if canonical not in FIELDS:
            known = ", ".join(FIELDS)
            raise InputError(f"--column '{pair}': unknown field '{canonical}' (one of: {known})")
        mapping[canonical] = actual
    return mapping


def ensure_utf8(path: Path) -> None:
    """Raise InputError naming the byte offset and line of the first non-UTF-8 byte."""
    carry, offset, line = b"", 0, 1  # offset: where `carry` starts in the file
    try:
        with path.open("rb") as handle:
            while True:
                chunk = handle.read(1 << 20)
                data = carry + chunk
                if not data:
                    return
                try:
                    data.decode("utf-8")
                    valid = len(data)
                except UnicodeDecodeError as exc:
                    # A character split across two reads continues in the next chunk.
                    if chunk and exc.reason == "unexpected end of data" and exc.end == len(data):
                        valid = exc.start
                    else:
                        line += data[: exc.start].count(b"\n")
                        raise _not_utf8(path, offset + exc.start, data[exc.start], line) from None
                if not chunk:
                    return
                line += data[:valid].count(b"\n")
                offset += valid
                carry = data[valid:]
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None


def _not_utf8(path: Path, offset: int, byte: int, line: int) -> InputError:
    return InputError(
        f"{path}: not UTF-8 text (byte 0x{byte:02x} at byte offset {offset}, line {line}); "
        "save it as UTF-8 and try again"
    )


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a submissions file")
    ensure_utf8(path)


def read_submissions(path: Path, mapping: Mapping[str, str] | None = None) -> Iterator[Submission]:
    """Every row of a CSV or JSONL submissions file, in order, as it is read.

    The file is checked (exists, UTF-8, usable header) before this returns, so an
    unusable file raises InputError here rather than half-way through a run.
    """
    path = Path(path)
    mapping = dict(mapping or {})
    _check_readable(path)
    if is_jsonl(path):
        return _read_jsonl(path, mapping)
    handle = path.open("r", encoding="utf-8-sig", newline="")
    try:
        reader = csv.reader(handle, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
        header = _read_header(reader, path)
        columns = _resolve_header(header, mapping, path)
    except BaseException:
        handle.close()
        raise
    return _read_csv_rows(handle, reader, columns, mapping)


def _read_header(reader: Any, path: Path) -> list[str]:
    while True:
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(f"{path}: the file is empty (expected a header row naming the columns)") from None
        except csv.Error as exc:
            raise InputError(f"{path}: line {reader.line_num}: unreadable header ({exc})") from None
        if any(cell.strip() for cell in header):
            return header


def _match(names: Iterable[str], wanted: str) -> str | None:
    """The first name equal to `wanted`, else the first equal ignoring case and spaces."""
    names = list(names)
    if wanted in names:
        return wanted
    folded = wanted.strip().lower()
    return next((name for name in names if name.strip().lower() == folded), None)


def _resolve_header(header: list[str], mapping: dict[str, str], path: Path) -> dict[str, int]:
    """Canonical field -> column index. Raises when the file cannot be graded at all."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(name, index)
    columns: dict[str, int] = {}
    for field, spellings in FIELDS.items():
        if field in mapping:
            found = _match(positions, mapping[field])
            if found is None:
                raise InputError(
                    f"{path}: --column {field}={mapping[field]}: no column '{mapping[field]}' "
                    f"(the header has: {_list_names(header)})"
                )
        else:
            found = next((name for s in spellings if (name := _match(positions, s)) is not None), None)
        if found is not None:
            columns[field] = positions[found]
    if "answer" not in columns and "audio" not in columns:
        raise InputError(
            f"{path}: no answer column (expected 'answer' or 'student_answer', or 'audio' for recordings; the "
            f"header has: {_list_names(header)}). Map another name with --column answer=NAME"
        )
    if "question_id" not in columns and not {"question", "reference_answer"} <= columns.keys():
        raise InputError(
            f"{path}: no question column: expected 'question_id', or 'question' and "
            f"'reference_answer' (the header has: {_list_names(header)})"
        )
    return columns


def _list_names(header: list[str]) -> str:
    names = [name for name in header if name.strip()]
    shown = ", ".join(repr(name) for name in names[:12])
    return shown + (", ..." if len(names) > 12 else "") if names else "no names"


def _read_csv_rows(
    handle: IO[str], reader: Any, columns: dict[str, int], names: Mapping[str, str]
) -> Iterator[Submission]:
    with handle:
        row = 0
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row += 1
                yield Submission(row=row, line=start, id=str(row), error=f"line {start}: malformed row ({exc})")
                continue
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            row += 1
            values = {field: cells[index] if index < len(cells) else None for field, index in columns.items()}
            yield make_submission(values, row=row, line=start, names=names)


def _read_jsonl(path: Path, mapping: dict[str, str]) -> Iterator[Submission]:
    keys = {field: mapping.get(field) for field in FIELDS}
    with path.open("rb") as handle:
        row = line = 0
        while True:
            raw = handle.readline(MAX_RECORD_BYTES + 1)
            if not raw:
                return
            line += 1
            if line == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            if len(raw) > MAX_RECORD_BYTES and not raw.endswith(b"\n"):
                while (rest := handle.readline(MAX_RECORD_BYTES)) and not rest.endswith(b"\n"):
                    pass
                row += 1
                yield Submission(
                    row=row, line=line, id=str(row),
                    error=f"line {line}: the line is longer than {MAX_RECORD_BYTES:,} bytes",
                )
                continue
            text = raw.decode("utf-8").strip()
            if not text:
                continue
            row += 1
            try:
                record = json.loads(text)
            except (json.JSONDecodeError, RecursionError) as exc:
                detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
                yield Submission(row=row, line=line, id=str(row), error=f"line {line}: bad JSON ({detail})")
                continue
            if not isinstance(record, dict):
                yield Submission(
                    row=row, line=line, id=str(row),
                    error=f"line {line}: expected a JSON object, got {type(record).__name__}",
                )
                continue
            values: dict[str, Any] = {}
            for field, spellings in FIELDS.items():
                names = (keys[field],) if keys[field] else spellings
                values[field] = next((record[n] for n in names if record.get(n) is not None), None)
            yield make_submission(values, row=row, line=line, names=mapping)


def _text(value: Any) -> str | None:
    """A field value as text; None when it is not a scalar."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def make_submission(
    values: Mapping[str, Any], *, row: int, line: int, names: Mapping[str, str] | None = None
) -> Submission:
    """Check one row's fields and build its Submission (with `error` when unusable).

    `names` gives the file's own name of a field (from --column) for messages.
    """
    names = names or {}
    where = f"line {line}"
    keywords = values.get("keywords")
    if isinstance(keywords, list) and all(isinstance(k, str) for k in keywords):
        values = {**values, "keywords": "; ".join(keywords)}
    texts: dict[str, str] = {}
    bad: list[str] = []
    for field in FIELDS:
        text = _text(values.get(field))
        if text is None:
            bad.append(field)
            text = ""
        texts[field] = text
    row_id = texts["id"].strip() or str(row)
    base = dict(
        row=row, line=line, id=row_id, candidate=texts["candidate"].strip(),
        question_id=texts["question_id"].strip(),
    )
    if bad:
        return Submission(**base, error=f"{where}: field {_quoted([names.get(b, b) for b in bad])} must be text")
    audio = texts["audio"].strip()
    if audio and not texts["answer"].strip():
        if not texts["question_id"].strip() and not (texts["question"].strip() and texts["reference_answer"].strip()):
            return Submission(**base, audio=audio,
                              error=f"{where}: missing field 'question_id' (or inline 'question' and 'reference_answer')")
        return Submission(
            **base, question=texts["question"].strip(), reference_answer=texts["reference_answer"].strip(),
            keywords=texts["keywords"].strip(), audio=audio,
        )
    if values.get("answer") is None:
        return Submission(**base, error=f"{where}: missing field '{names.get('answer', 'answer')}'")
    if not texts["question_id"].strip() and not (
        texts["question"].strip() and texts["reference_answer"].strip()
    ):
        return Submission(
            **base, answer=texts["answer"][:MAX_ANSWER_CHARS], error=f"{where}: missing field 'question_id' (or inline 'question' and 'reference_answer')"
        )
    answer = texts["answer"]
    if not answer.strip():
        return Submission(**base, error=f"{where}: empty answer")
    if len(answer) > MAX_ANSWER_CHARS:
        return Submission(
            **base,
            error=f"{where}: answer too long ({len(answer):,} characters; the limit is {MAX_ANSWER_CHARS:,})",
        )
    return Submission(
        **base, question=texts["question"].strip(), reference_answer=texts["reference_answer"].strip(),
        keywords=texts["keywords"].strip(), answer=answer.strip(),
    )


def has_audio_column(path: Path, mapping: Mapping[str, str] | None = None) -> bool:
    """Whether the submissions hold recordings: a CSV header with the audio column, or a JSONL
    file whose first object has the field."""
    name = (mapping or {}).get("audio", "audio").strip().lower()
    try:
        with Path(path).open("r", encoding="utf-8-sig", newline="") as handle:
            if is_jsonl(path):
                for line in handle:
                    if line.strip():
                        try:
                            record = json.loads(line)
                        except ValueError:
                            return False
                        return isinstance(record, dict) and any(str(key).strip().lower() == name for key in record)
                return False
            header = next(csv.reader(handle, delimiter="\t" if Path(path).suffix.lower() == ".tsv" else ","), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return any(cell.strip().lower() == name for cell in header)


def _quoted(names: list[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def count_rows(path: Path) -> int | None:
    """How many data rows a file holds, for a progress total; None when it cannot tell."""
    path = Path(path)
    try:
        if is_jsonl(path):
            with path.open("rb") as handle:
                return sum(1 for raw in handle if raw.strip())
        with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
            rows = 0
            try:
                for cells in reader:
                    rows += any(cell.strip() for cell in cells)
            except csv.Error:
                return None
            return max(0, rows - 1)
    except OSError:
        return None
