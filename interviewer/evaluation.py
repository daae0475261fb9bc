"""How well a grader agrees with human graders, on a CSV of human-scored answers.

The CSV has columns `question`, `reference_answer`, `student_answer` (or `answer`), a human
score column (`score_avg` if present, else `score`, or any column named explicitly) and
optionally `question_id`. Rows whose question is in the bank (by id, else by prompt) use
its rubric; the others get a rubric derived from their reference answer.
"""

from __future__ import annotations

import csv
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from interviewer.bank.loader import Bank
from interviewer.bank.models import BankQuestion, Level, Question, Rubric
from interviewer.errors import InputError
from interviewer.grading.metrics import calibrated_rmse, mean, pearson, spearman
from interviewer.grading.models import Grade, GradeRequest
from interviewer.grading.protocol import Grader
from interviewer.grading.rubric_from_reference import derive_rubric

ANSWER_COLUMNS = ("student_answer", "answer")
DEFAULT_SCORE_COLUMNS = ("score_avg", "score")
REQUIRED_COLUMNS = ("question", "reference_answer")


@dataclass(frozen=True)
class ScoredAnswer:
    """One row of the file: an answer and the score people gave it."""

    row: int  # line number in the file (the header is line 1)
    question_id: str
    question: str
    reference_answer: str
    answer: str
    human: float


def read_scored_csv(path: Path, score_column: str | None = None, limit: int | None = None) -> list[ScoredAnswer]:
    """The rows of a human-scored CSV; every problem is an InputError naming file and row."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}, line {line}: the file is not UTF-8 text (save it as UTF-8 CSV)") from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty (expected a header row and scored answers)")

    reader = csv.DictReader(text.splitlines(keepends=True))
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    answer_column = next((name for name in ANSWER_COLUMNS if name in header), None)
    if answer_column is None:
        missing.append("student_answer (or answer)")
    if score_column is None:
        score_column = next((name for name in DEFAULT_SCORE_COLUMNS if name in header), None)
        if score_column is None:
            missing.append("score_avg (or score, or name one with --score-column)")
    elif score_column not in header:
        missing.append(f"{score_column} (the --score-column)")
    if missing:
        raise InputError(
            f"{path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(found: {', '.join(header) or 'none'})"
        )

    rows: list[ScoredAnswer] = []
    try:
        for record in reader:
            line = reader.line_num
            if None in record:
                raise InputError(f"{path}, row {line}: more fields than the header has columns")
            if all(not (value or "").strip() for value in record.values()):
                continue
            value = (record.get(score_column) or "").strip()
            try:
                human = float(value)
            except ValueError:
                human = math.nan
            if not math.isfinite(human):
                shown = f"'{value}'" if value else "an empty value"
                raise InputError(f"{path}, row {line}: score column '{score_column}' holds {shown}, not a number")
            question = (record.get("question") or "").strip()
            reference = (record.get("reference_answer") or "").strip()
            for name, content in (("question", question), ("reference_answer", reference)):
                if not content:
                    raise InputError(f"{path}, row {line}: column '{name}' is empty")
            rows.append(ScoredAnswer(
                row=line,
                question_id=(record.get("question_id") or "").strip() or question,
                question=question,
                reference_answer=reference,
                answer=record.get(answer_column) or "",
                human=human,
            ))
            if limit is not None and len(rows) >= limit:
                break
    except csv.Error as exc:
        raise InputError(f"{path}, row {reader.line_num}: malformed CSV ({exc})") from None
    if not rows:
        raise InputError(f"{path}: no scored answers after the header row")
    return rows


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "q"


class RubricSource:
    """Bank rubrics where a row's question is in the bank, derived rubrics elsewhere."""

    def __init__(self, bank: Bank | None = None) -> None:
        self._bank = bank
        self._by_prompt = {" ".join(item.question.prompt.split()).lower(): item for item in bank or []}
        self._made: dict[tuple[str, str, str], tuple[Question, Rubric, bool]] = {}

    def for_row(self, row: ScoredAnswer) -> tuple[Question, Rubric, bool]:
        """(question, rubric, from_bank) for a row, built once per question."""
        key = (row.question_id, row.question, row.reference_answer)
        if key not in self._made:
            item = self._bank_item(row)
            if item is not None:
                question = item.question.model_copy(update={"reference_answer": row.reference_answer})
                self._made[key] = (question, item.rubric, True)
            else:
                question = Question(
                    id=f"eval/{_slug(row.question_id)}", level=Level.intermediate,
                    prompt=row.question, reference_answer=row.reference_answer, source="evaluate",
                )
                self._made[key] = (question, derive_rubric(question), False)
        return self._made[key]

    def _bank_item(self, row: ScoredAnswer) -> BankQuestion | None:
        if self._bank is None:
            return None
        if row.question_id in self._bank:
            return self._bank.get(row.question_id)
        return self._by_prompt.get(" ".join(row.question.split()).lower())


@dataclass
class QuestionAgreement:
    question_id: str
    n: int
    pearson: float
    mean_human: float
    mean_score: float
    rubric: str  # "bank" or "derived"


@dataclass
class EvaluationReport:
    file: str
    grader: str
    grader_version: str
    n: int
    pearson: float
    spearman: float
    rmse: float
    ms_per_answer: float
    human_range: tuple[float, float]
    questions: list[QuestionAgreement] = field(default_factory=list)
    fallbacks: int = 0

    def as_json(self) -> dict[str, object]:
        def number(value: float, digits: int = 4) -> float | None:
            return round(value, digits) if math.isfinite(value) else None

        return {
            "file": self.file,
            "grader": self.grader,
            "grader_version": self.grader_version,
            "n": self.n,
            "pearson": number(self.pearson),
            "spearman": number(self.spearman),
            "rmse": number(self.rmse),
            "ms_per_answer": number(self.ms_per_answer, 3),
            "human_range": list(self.human_range),
            "fallbacks": self.fallbacks,
            "questions": [
                {
                    "question_id": q.question_id,
                    "n": q.n,
                    "pearson": number(q.pearson),
                    "mean_human": number(q.mean_human),
                    "mean_score": number(q.mean_score, 2),
                    "rubric": q.rubric,
                }
                for q in self.questions
            ],
        }


def evaluate(
    path: Path,
    grader: Grader,
    *,
    bank: Bank | None = None,
    score_column: str | None = None,
    limit: int | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> EvaluationReport:
    """Grade every row and measure agreement with the human scores."""
    rows = read_scored_csv(path, score_column, limit)
    source = RubricSource(bank)
    prepared = [source.for_row(row) for row in rows]
    requests = [GradeRequest(question=q, rubric=r, answer=row.answer) for row, (q, r, _) in zip(rows, prepared)]
    warm_up = getattr(grader, "warm_up", None)
    if callable(warm_up):
        warm_up()  # loading a model is not grading time
    started = clock()
    grades: Sequence[Grade] = grader.grade_many(requests)
    elapsed = clock() - started

    scores = [grade.score for grade in grades]
    humans = [row.human for row in rows]
    groups = [row.question_id for row in rows]
    per_question: list[QuestionAgreement] = []
    for question_id in dict.fromkeys(groups):
        members = [i for i, g in enumerate(groups) if g == question_id]
        per_question.append(QuestionAgreement(
            question_id=question_id,
            n=len(members),
            pearson=pearson([scores[i] for i in members], [humans[i] for i in members]),
            mean_human=mean([humans[i] for i in members]),
            mean_score=mean([scores[i] for i in members]),
            rubric="bank" if prepared[members[0]][2] else "derived",
        ))
    used = grades[0] if grades else None
    return EvaluationReport(
        file=str(path),
        grader=used.grader if used else getattr(grader, "name", "?"),
        grader_version=used.grader_version if used else getattr(grader, "version", "?"),
        n=len(rows),
        pearson=pearson(scores, humans),
        spearman=spearman(scores, humans),
        rmse=calibrated_rmse(scores, humans, groups),
        ms_per_answer=1000.0 * elapsed / len(rows),
        human_range=(min(humans), max(humans)),
        questions=per_question,
        fallbacks=sum(1 for g in grades if any(w.kind.value == "grader_fallback" for w in g.warnings)),
    )
