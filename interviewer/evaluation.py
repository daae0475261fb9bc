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
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interviewer.bank.loader import Bank
from interviewer.bank.models import BankQuestion, Level, Question, Rubric
from interviewer.errors import InputError
from interviewer.grading.metrics import calibrated_rmse, mean, pearson, spearman
from interviewer.grading.models import Grade, GradeRequest, WarningKind
from interviewer.grading.protocol import Grader
from interviewer.grading.rubric_from_reference import derive_rubric

ANSWER_COLUMNS = ("student_answer", "answer")
# The judge's own scores spread less than this (standard deviation, points of 100): it barely
# tells answers apart.
FLAT_SPREAD = 5.0
# Differences in Pearson r smaller than this are called "about the same".
SAME_AGREEMENT = 0.02
# A judge that moves the mean grade this many points (of 100) from its evidence grader's is said to.
SHIFT_POINTS = 10.0
# Candidate blend weights tried when fitting; a weight must beat the evidence grader alone by
# MIN_GAIN on the evaluated answers, else the judge gets weight 0.
WEIGHT_STEP = 0.05
MIN_GAIN = 0.01
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
class Agreement:
    pearson: float
    spearman: float

    @classmethod
    def of(cls, scores: Sequence[float], humans: Sequence[float]) -> "Agreement":
        return cls(pearson=pearson(scores, humans), spearman=spearman(scores, humans))

    def as_json(self) -> dict[str, float | None]:
        return {"pearson": _number(self.pearson), "spearman": _number(self.spearman)}


@dataclass
class JudgeReport:
    """What the judge itself contributed: its own score, the evidence grader inside it, the blend."""

    model: str | None
    judged: int  # answers the model was asked about in this run
    cached: int  # replies taken from the store
    fell_back: int  # answers graded by the evidence grader instead
    not_sent: int  # empty answers, never sent
    failures: dict[str, int]  # failure kind -> answers
    evidence_grader: str
    own: Agreement  # the model's own score (before the quote check)
    evidence: Agreement  # the evidence grader alone, on the same answers
    blend: Agreement  # the final grade, on the same answers
    spread: float  # standard deviation of the model's own scores
    most_common: tuple[float, int]  # (score, how many answers got it)
    mean_evidence: float  # mean score of the evidence grader alone on the judged answers
    mean_blend: float  # mean final grade on the same answers
    weights: dict[str, int]  # "0.70 default" -> answers
    fitted_weight: float
    fitted_pearson: float
    banks: list[str]
    findings: list[str]

    @property
    def replied(self) -> int:
        return self.judged + self.cached

    def as_json(self) -> dict[str, object]:
        return {
            "model": self.model, "judged": self.judged, "cached": self.cached, "fell_back": self.fell_back,
            "not_sent": self.not_sent, "failures": self.failures, "evidence_grader": self.evidence_grader,
            "own": self.own.as_json(), "evidence": self.evidence.as_json(), "blend": self.blend.as_json(),
            "spread": _number(self.spread, 2),
            "most_common": {"score": self.most_common[0], "answers": self.most_common[1]},
            "mean_evidence": _number(self.mean_evidence, 2), "mean_blend": _number(self.mean_blend, 2),
            "weights": self.weights, "fitted_weight": self.fitted_weight,
            "fitted_pearson": _number(self.fitted_pearson), "banks": self.banks, "findings": self.findings,
        }


def _number(value: float, digits: int = 4) -> float | None:
    return round(value, digits) if math.isfinite(value) else None


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
    graded_by: dict[str, int] = field(default_factory=dict)  # grader name -> answers it graded
    fallback_reasons: dict[str, int] = field(default_factory=dict)
    judge: JudgeReport | None = None
    # Every grade and human score, in file order (not in the JSON): for benchmarks and tests.
    grades: list[Grade] = field(default_factory=list, repr=False)
    humans: list[float] = field(default_factory=list, repr=False)

    def as_json(self) -> dict[str, object]:
        number = _number
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
            "fallback_reasons": self.fallback_reasons,
            "graded_by": self.graded_by,
            "judge": self.judge.as_json() if self.judge else None,
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


def fit_weight(judge: Sequence[float], evidence: Sequence[float], humans: Sequence[float]) -> tuple[float, float]:
    """(weight, Pearson r) of the blend weight x judge + (1 - weight) x evidence that agrees best
    with the humans. A weight must beat the evidence grader alone by MIN_GAIN, else it is 0."""
    alone = pearson(evidence, humans)
    best_weight, best_r = 0.0, alone
    steps = round(1 / WEIGHT_STEP)
    for step in range(1, steps + 1):
        weight = step / steps
        r = pearson([weight * j + (1 - weight) * e for j, e in zip(judge, evidence)], humans)
        if math.isfinite(r) and (not math.isfinite(best_r) or r > best_r):
            best_weight, best_r = weight, r
    if math.isfinite(alone) and best_r - alone < MIN_GAIN:
        return 0.0, alone
    return round(best_weight, 2), best_r


def _failure_kind(grade: Grade) -> str | None:
    judge = grade.details.get("judge") or {}
    if judge.get("failed"):
        return str(judge.get("failure") or "unknown")
    if grade.has_warning(WarningKind.grader_fallback):
        return "model_unavailable"
    return None


def judge_report(grades: Sequence[Grade], humans: Sequence[float], question_ids: Sequence[str]) -> JudgeReport:
    """How much the judge adds or costs against its own evidence grader, in plain words too."""
    from interviewer.grading.judge.grader import bank_of

    own: list[float] = []
    checked: list[float] = []
    evidence: list[float] = []
    blend: list[float] = []
    people: list[float] = []
    judged = cached = fell_back = 0
    failures: Counter[str] = Counter()
    weights: Counter[str] = Counter()
    evidence_grader, model = "the evidence grader", None
    for grade, human in zip(grades, humans):
        about: dict[str, Any] = grade.details.get("judge") or {}
        if not about:
            continue
        if about.get("failed"):
            fell_back += 1
            failures[str(about.get("failure") or "unknown")] += 1
            evidence_grader = grade.grader
            continue
        cached += bool(about.get("cached"))
        judged += not about.get("cached")
        model = model or about.get("model")
        evidence_grader = str((grade.details.get("evidence") or {}).get("grader") or evidence_grader)
        own.append(float(about["score"]))
        checked.append(float(about.get("checked_score", about["score"])))
        evidence.append(float(grade.details["evidence"]["score"]))
        blend.append(grade.score)
        people.append(human)
        weights[f"{float(about.get('weight', 0)):.2f} {about.get('weight_source', 'default')}"] += 1
    not_sent = len(grades) - judged - cached - fell_back
    spread = statistics.pstdev(own) if len(own) > 1 else math.nan
    most_common = Counter(own).most_common(1)[0] if own else (math.nan, 0)
    fitted_weight, fitted_r = fit_weight(checked, evidence, people) if len(own) > 2 else (0.0, math.nan)
    report = JudgeReport(
        model=model, judged=judged, cached=cached, fell_back=fell_back, not_sent=not_sent,
        failures=dict(failures), evidence_grader=evidence_grader,
        own=Agreement.of(own, people), evidence=Agreement.of(evidence, people), blend=Agreement.of(blend, people),
        spread=spread, most_common=most_common, mean_evidence=mean(evidence), mean_blend=mean(blend),
        weights=dict(weights), fitted_weight=fitted_weight,
        fitted_pearson=fitted_r, banks=sorted({bank_of(q) for q in question_ids}), findings=[],
    )
    report.findings = _findings(report)
    return report


def _r(value: float) -> str:
    return f"{value:.2f}" if math.isfinite(value) else "n/a"


def _findings(report: JudgeReport) -> list[str]:
    """The judge's contribution in plain words; the first ones are the warnings."""
    said: list[str] = []
    evidence = report.evidence_grader
    if report.fell_back:
        reasons = ", ".join(f"{kind.replace('_', ' ')} {count}" for kind, count in sorted(report.failures.items()))
        said.append(f"{report.fell_back} of {report.fell_back + report.replied} answers sent to the judge got no "
                    f"usable reply and were graded by {evidence} alone ({reasons}).")
    if not report.replied:
        said.append("The judge gave no usable reply: nothing can be said about its agreement.")
        return said
    score, count = report.most_common
    if report.replied >= 3 and (not math.isfinite(report.spread) or report.spread < FLAT_SPREAD):
        said.append(f"The judge's own scores barely vary: {count} of {report.replied} answers got {score:g} "
                    f"(standard deviation {report.spread:.1f} points). It does not tell good answers from bad "
                    "ones; its part of the grade is noise or a constant.")
    own, alone, blend = report.own.pearson, report.evidence.pearson, report.blend.pearson
    if math.isfinite(own) and math.isfinite(alone) and own < alone - SAME_AGREEMENT:
        said.append(f"The judge's own score agrees with the humans less than {evidence} alone "
                    f"(r = {_r(own)} vs {_r(alone)}).")
    if math.isfinite(blend) and math.isfinite(alone):
        delta = blend - alone
        if delta < -SAME_AGREEMENT:
            said.append(f"Blended in, the judge costs {-delta:.2f} in Pearson r against {evidence} alone "
                        f"({_r(blend)} vs {_r(alone)}).")
        elif delta > SAME_AGREEMENT:
            said.append(f"Blended in, the judge adds {delta:.2f} in Pearson r over {evidence} alone "
                        f"({_r(blend)} vs {_r(alone)}).")
        else:
            said.append(f"Blended in, the judge changes Pearson r by {delta:+.3f} against {evidence} alone "
                        f"({_r(blend)} vs {_r(alone)}): about the same.")
    shift = report.mean_blend - report.mean_evidence
    if math.isfinite(shift) and abs(shift) >= SHIFT_POINTS:
        said.append(f"Blended in, the judge {'lowers' if shift < 0 else 'raises'} grades by {abs(shift):.0f} points "
                    f"on average (mean {report.mean_evidence:.0f} by {evidence} alone, {report.mean_blend:.0f} "
                    "as graded).")
    if math.isfinite(report.fitted_pearson):
        said.append(f"The blend weight that agrees best on these answers is {report.fitted_weight:.2f} "
                    f"(r = {_r(report.fitted_pearson)}); --save-weight keeps it for this judge model on "
                    f"bank {', '.join(report.banks)}.")
    return said


def save_measured_weight(report: EvaluationReport, *, db: Any = None) -> list[str]:
    """Store the fitted weight for the judge's model and every bank of the file; the banks saved."""
    from interviewer.grading.judge.prompt import PROMPT_VERSION
    from interviewer.store.db import connect, utc_now
    from interviewer.store.judge_weights import MeasuredWeight, save_weight

    judge = report.judge
    if judge is None or judge.model is None or not math.isfinite(judge.fitted_pearson):
        raise InputError("nothing to save: the judge gave no usable replies to measure a weight from")
    db = db or connect()
    for bank in judge.banks:
        save_weight(db, MeasuredWeight(
            model=judge.model, prompt_version=PROMPT_VERSION, bank=bank, weight=judge.fitted_weight,
            n=judge.replied, judge_pearson=judge.own.pearson, evidence_pearson=judge.evidence.pearson,
            blend_pearson=judge.fitted_pearson, source=report.file, measured_at=utc_now(),
        ))
    return judge.banks


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
    fallback_reasons = Counter(kind for grade in grades if (kind := _failure_kind(grade)) is not None)
    has_judge = any(grade.details.get("judge") for grade in grades) or getattr(grader, "name", "") == "judge"
    return EvaluationReport(
        file=str(path),
        grader=str(getattr(grader, "name", None) or (grades[0].grader if grades else "?")),
        grader_version=str(getattr(grader, "version", None) or (grades[0].grader_version if grades else "?")),
        n=len(rows),
        pearson=pearson(scores, humans),
        spearman=spearman(scores, humans),
        rmse=calibrated_rmse(scores, humans, groups),
        ms_per_answer=1000.0 * elapsed / len(rows),
        human_range=(min(humans), max(humans)),
        questions=per_question,
        fallbacks=sum(fallback_reasons.values()),
        graded_by=dict(Counter(grade.grader for grade in grades)),
        fallback_reasons=dict(fallback_reasons),
        judge=judge_report(grades, humans, [q.id for q, _, _ in prepared]) if has_judge else None,
        grades=list(grades),
        humans=humans,
    )
