"""Looking back: session summaries, history, transcripts as data, progress stats, export, regrading.

Plain functions over the store; the commands in `interviewer.cli.review` render them.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import mean
from typing import Any

from interviewer.bank.models import Question, Rubric
from interviewer.errors import InputError
from interviewer.grading.models import ConceptStatus, GradeRequest, fallback_kind
from interviewer.grading.protocol import Grader
from interviewer.store import transcripts
from interviewer.store.transcripts import SessionRecord, TurnRecord

# ---------------------------------------------------------------- one session


@dataclass
class SummaryRow:
    number: int
    turn: TurnRecord
    follow_ups: list[TurnRecord] = field(default_factory=list)

    @property
    def score(self) -> float | None:
        grade = self.turn.latest_grade
        return grade.score if grade else None


@dataclass
class SessionReport:
    session: SessionRecord
    rows: list[SummaryRow]
    planned: int
    mean_score: float | None
    topic_means: dict[str, float]

    @property
    def answered(self) -> int:
        return sum(row.turn.status == "answered" for row in self.rows)

    @property
    def remaining(self) -> int:
        return max(0, self.planned - len(self.rows))

    @property
    def ungraded(self) -> int:
        """Answers stored but not graded (the session stopped while grading one, or grading failed)."""
        return sum(turn.status == "answered" and turn.answer is not None and not turn.grades
                   for row in self.rows for turn in (row.turn, *row.follow_ups))

    @property
    def strongest_topic(self) -> tuple[str, float] | None:
        return max(self.topic_means.items(), key=lambda pair: pair[1]) if self.topic_means else None

    @property
    def weakest_topic(self) -> tuple[str, float] | None:
        return min(self.topic_means.items(), key=lambda pair: pair[1]) if self.topic_means else None


def group_turns(turns: Sequence[TurnRecord], plan: Sequence[str] = ()) -> list[SummaryRow]:
    """Main turns in order, each with its follow-ups; numbered by the plan when there is one."""
    rows: list[SummaryRow] = []
    by_id: dict[int, SummaryRow] = {}
    for turn in turns:
        if turn.kind == "follow_up" and turn.parent_turn_id in by_id:
            by_id[turn.parent_turn_id].follow_ups.append(turn)
            continue
        number = plan.index(turn.question_id) + 1 if turn.question_id in plan else len(rows) + 1
        row = SummaryRow(number=number, turn=turn)
        rows.append(row)
        by_id[turn.id] = row
    return rows


def topic_means(rows: Sequence[SummaryRow]) -> dict[str, float]:
    scores: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        if row.score is not None:
            for topic in row.turn.question.get("topics", []):
                scores[topic].append(row.score)
    return {topic: mean(values) for topic, values in sorted(scores.items())}


def summarize(db: sqlite3.Connection, session: SessionRecord) -> SessionReport:
    plan = session.settings.get("plan") or []
    rows = group_turns(transcripts.session_turns(db, session.id), plan)
    scores = [row.score for row in rows if row.score is not None]
    return SessionReport(
        session=session, rows=rows, planned=len(plan) or len(rows),
        mean_score=mean(scores) if scores else None, topic_means=topic_means(rows),
    )


def _grade_json(record: transcripts.GradeRecord) -> dict[str, Any]:
    return {"id": record.id, "created_at": record.created_at, **record.grade.model_dump(mode="json")}


def turn_json(turn: TurnRecord) -> dict[str, Any]:
    latest = turn.latest_grade
    return {
        "turn_id": turn.id, "position": turn.position, "kind": turn.kind, "parent_turn_id": turn.parent_turn_id,
        "question_id": turn.question_id, "prompt": turn.prompt, "level": turn.question.get("level"),
        "topics": turn.question.get("topics", []), "candidate": turn.candidate, "answer": turn.answer,
        "status": turn.status, "asked_at": turn.asked_at, "answered_at": turn.answered_at, "seconds": turn.seconds,
        "audio": turn.audio, "delivery": turn.delivery,
        "score": latest.score if latest else None, "verdict": latest.verdict if latest else None,
        "grader": latest.grader if latest else None,
        "grade": _grade_json(latest) if latest else None,
        "grades": [_grade_json(record) for record in turn.grades],
    }


def session_json(session: SessionRecord) -> dict[str, Any]:
    return {
        "session_id": session.id, "kind": session.kind, "started_at": session.started_at,
        "finished_at": session.finished_at, "finished": session.finished, "level": session.level,
        "topics": session.topics, "grader": session.grader, "source": session.source, "settings": session.settings,
    }


def transcript_json(db: sqlite3.Connection, session: SessionRecord) -> dict[str, Any]:
    report = summarize(db, session)
    return {
        **session_json(session), "mean_score": report.mean_score, "planned": report.planned,
        "turns": [turn_json(turn) for turn in transcripts.session_turns(db, session.id)],
    }



def _row_grade_json(turn: TurnRecord) -> dict[str, Any]:
    latest = turn.latest_grade
    return {
        "question_id": turn.question_id, "status": turn.status, "seconds": turn.seconds,
        "score": latest.score if latest else None, "verdict": latest.verdict if latest else None,
        "grader": latest.grader if latest else None,
        "fallback_reason": latest.grade.fallback_reason if latest else None,
    }


def summary_json(report: SessionReport) -> dict[str, Any]:
    """A session at a glance, as the summary at the end of `practice` shows it."""
    strongest, weakest = report.strongest_topic, report.weakest_topic
    return {
        **session_json(report.session), "planned": report.planned, "answered": report.answered,
        "skipped": sum(row.turn.status == "skipped" for row in report.rows),
        "remaining": report.remaining, "ungraded": report.ungraded, "mean_score": report.mean_score,
        "topic_means": report.topic_means,
        "strongest_topic": strongest[0] if strongest and weakest and strongest[1] > weakest[1] else None,
        "weakest_topic": weakest[0] if strongest and weakest and strongest[1] > weakest[1] else None,
        "questions": [
            {"number": row.number, **_row_grade_json(row.turn),
             "follow_ups": [_row_grade_json(turn) for turn in row.follow_ups]}
            for row in report.rows
        ],
    }

# ---------------------------------------------------------------- a batch run at a glance


@dataclass
class QuestionMean:
    question_id: str
    answers: int
    mean_score: float


@dataclass
class WorstAnswer:
    row: int  # the 1-based row of the submissions file
    candidate: str | None
    question_id: str
    answer: str
    score: float
    verdict: str
    grader: str


@dataclass
class BatchOverview:
    """What `review` shows of a batch run unless asked for every answer."""

    session: SessionRecord
    answers: int
    graded: int
    mean_score: float | None
    needs_review: int
    graders: dict[str, int]          # grader name -> answers it graded (latest grade)
    per_question: list[QuestionMean]  # lowest mean first
    worst: list[WorstAnswer]          # lowest score first


# Each turn with its latest grade, in SQL: a batch run may hold many thousands of rows.
_LATEST = """
    FROM turns t LEFT JOIN grades g ON g.id = (SELECT MAX(id) FROM grades WHERE turn_id = t.id)
    WHERE t.session_id = ? AND t.kind != 'follow_up' AND t.status = 'answered'
"""


def batch_overview(db: sqlite3.Connection, session: SessionRecord, *, worst: int = 10) -> BatchOverview:
    answers, graded, mean_score, needs_review = db.execute(
        "SELECT COUNT(*), COUNT(g.id), AVG(g.score), "
        "COALESCE(SUM(json_extract(g.grade, '$.needs_review') = 1), 0)" + _LATEST, (session.id,)).fetchone()
    graders = {row[0]: row[1] for row in db.execute(
        "SELECT g.grader, COUNT(*)" + _LATEST + " AND g.id IS NOT NULL GROUP BY g.grader ORDER BY COUNT(*) DESC, "
        "g.grader", (session.id,))}
    per_question = [QuestionMean(question_id=row[0], answers=row[1], mean_score=row[2]) for row in db.execute(
        "SELECT t.question_id, COUNT(*), AVG(g.score)" + _LATEST + " AND g.id IS NOT NULL GROUP BY t.question_id "
        "ORDER BY AVG(g.score), t.question_id", (session.id,))]
    lowest = [WorstAnswer(row=row[0] + 1, candidate=row[1], question_id=row[2], answer=row[3] or "", score=row[4],
                          verdict=row[5], grader=row[6]) for row in db.execute(
        "SELECT t.position, t.candidate, t.question_id, t.answer, g.score, g.verdict, g.grader" + _LATEST +
        " AND g.id IS NOT NULL ORDER BY g.score, t.position LIMIT ?", (session.id, worst))]
    return BatchOverview(session=session, answers=answers, graded=graded, mean_score=mean_score,
                         needs_review=needs_review, graders=graders, per_question=per_question, worst=lowest)


# ---------------------------------------------------------------- history


def history_json(summaries: Sequence[transcripts.SessionSummary]) -> list[dict[str, Any]]:
    return [
        {**session_json(item.session), "answered": item.answered, "skipped": item.skipped,
         "planned": item.planned, "mean_score": item.mean_score}
        for item in summaries
    ]


# ---------------------------------------------------------------- stats


@dataclass
class ScoreSeries:
    """Mean scores of one level or topic, oldest session first."""

    name: str
    answered: int
    mean_score: float
    per_session: list[float]

    @property
    def first(self) -> float:
        return self.per_session[0]

    @property
    def latest(self) -> float:
        return self.per_session[-1]


@dataclass
class MissedConcept:
    question_id: str
    label: str
    missed: int
    asked: int


@dataclass
class Stats:
    sessions: int
    answered: int
    mean_score: float | None
    by_day: list[tuple[str, float, int]]            # day, mean score, answers
    by_session: list[tuple[str, str, float]]         # session id, started_at, mean score
    levels: list[ScoreSeries]
    topics: list[ScoreSeries]
    weakest_concepts: list[MissedConcept]
    delivery: list[DeliveryRow] = field(default_factory=list)


@dataclass
class DeliveryRow:
    """How one session's spoken answers were delivered."""

    session_id: str
    started_at: str
    spoken: int                      # answers given by voice
    words_per_minute: float | None   # mean over them
    fillers: int
    fillers_per_minute: float | None  # fillers / speaking minutes, all answers together
    long_pauses: int


def delivery_by_session(db: sqlite3.Connection, *, kind: str = transcripts.PRACTICE) -> list[DeliveryRow]:
    """The delivery figures of spoken answers (questions, not follow-ups), per session, oldest first."""
    per_session: dict[str, list[dict[str, Any]]] = {}
    started: dict[str, str] = {}
    for row in db.execute(
        "SELECT t.session_id, s.started_at, t.delivery FROM turns t JOIN sessions s ON s.id = t.session_id "
        "WHERE s.kind = ? AND t.kind = 'question' AND t.status = 'answered' AND t.delivery IS NOT NULL "
        "ORDER BY s.started_at, t.position", (kind,),
    ):
        per_session.setdefault(row["session_id"], []).append(json.loads(row["delivery"]))
        started[row["session_id"]] = row["started_at"]
    rows = []
    for sid, figures in per_session.items():
        paces = [item["words_per_minute"] for item in figures if item.get("words_per_minute")]
        fillers = sum(item.get("filler_count", 0) for item in figures)
        minutes = sum(item.get("speaking_s", 0.0) for item in figures) / 60.0
        rows.append(DeliveryRow(
            session_id=sid, started_at=started[sid], spoken=len(figures),
            words_per_minute=round(mean(paces), 1) if paces else None, fillers=fillers,
            fillers_per_minute=round(fillers / minutes, 1) if minutes > 0 else None,
            long_pauses=sum(len(item.get("long_pauses", [])) for item in figures),
        ))
    return rows


def _series(name: str, scores_by_session: dict[str, list[float]], order: Sequence[str]) -> ScoreSeries:
    per_session = [mean(scores_by_session[sid]) for sid in order if sid in scores_by_session]
    every = [score for values in scores_by_session.values() for score in values]
    return ScoreSeries(name=name, answered=len(every), mean_score=mean(every), per_session=per_session)


def compute_stats(db: sqlite3.Connection, *, kind: str = transcripts.PRACTICE, top_concepts: int = 10) -> Stats:
    """Progress across practice sessions: each answered question counts with its latest grade."""
    rows = db.execute(
        """
        SELECT t.id, t.session_id, t.question_id, s.started_at, g.score, g.grade
        FROM turns t
        JOIN sessions s ON s.id = t.session_id
        JOIN grades g ON g.id = (SELECT MAX(id) FROM grades WHERE turn_id = t.id)
        WHERE s.kind = ? AND t.kind = 'question' AND t.status = 'answered'
        ORDER BY s.started_at, t.position
        """,
        (kind,),
    ).fetchall()
    snapshots = transcripts._SnapshotReader(db)
    questions = {
        row["id"]: snapshots.load(row["question"]) or {}
        for row in db.execute(
            "SELECT t.id, t.question FROM turns t JOIN sessions s ON s.id = t.session_id "
            "WHERE s.kind = ? AND t.kind = 'question' AND t.status = 'answered'", (kind,))
    }
    session_order: list[str] = []
    started: dict[str, str] = {}
    session_scores: dict[str, list[float]] = defaultdict(list)
    day_scores: dict[str, list[float]] = defaultdict(list)
    level_scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    topic_scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    missed: Counter[tuple[str, str]] = Counter()
    asked: Counter[tuple[str, str]] = Counter()
    for row in rows:
        sid, score = row["session_id"], row["score"]
        if sid not in started:
            session_order.append(sid)
            started[sid] = row["started_at"]
        session_scores[sid].append(score)
        day_scores[row["started_at"][:10]].append(score)
        question = questions.get(row["id"], {})
        if question.get("level"):
            level_scores[question["level"]][sid].append(score)
        for topic in question.get("topics", []):
            topic_scores[topic][sid].append(score)
        for concept in json.loads(row["grade"]).get("concepts", []):
            key = (row["question_id"], concept["label"])
            asked[key] += 1
            if concept["status"] == ConceptStatus.missing.value:
                missed[key] += 1
    all_scores = [score for values in session_scores.values() for score in values]
    level_order = ["beginner", "intermediate", "advanced"]
    return Stats(
        sessions=len(session_order),
        answered=len(all_scores),
        mean_score=mean(all_scores) if all_scores else None,
        by_day=[(day, mean(values), len(values)) for day, values in sorted(day_scores.items())],
        by_session=[(sid, started[sid], mean(session_scores[sid])) for sid in session_order],
        levels=[_series(name, level_scores[name], session_order)
                for name in sorted(level_scores, key=lambda n: (level_order.index(n) if n in level_order else 9, n))],
        topics=sorted((_series(name, values, session_order) for name, values in topic_scores.items()),
                      key=lambda series: series.mean_score),
        weakest_concepts=[
            MissedConcept(question_id=question_id, label=label, missed=count, asked=asked[(question_id, label)])
            for (question_id, label), count in sorted(
                missed.items(), key=lambda pair: (-pair[1], -pair[1] / asked[pair[0]], pair[0]))[:top_concepts]
        ],
        delivery=delivery_by_session(db, kind=kind),
    )


def stats_json(stats: Stats) -> dict[str, Any]:
    def series(item: ScoreSeries) -> dict[str, Any]:
        return {"name": item.name, "answered": item.answered, "mean_score": item.mean_score,
                "per_session": item.per_session}

    return {
        "sessions": stats.sessions, "answered": stats.answered, "mean_score": stats.mean_score,
        "by_day": [{"day": day, "mean_score": score, "answered": count} for day, score, count in stats.by_day],
        "by_session": [{"session_id": sid, "started_at": when, "mean_score": score}
                       for sid, when, score in stats.by_session],
        "levels": [series(item) for item in stats.levels],
        "topics": [series(item) for item in stats.topics],
        "weakest_concepts": [vars(item) for item in stats.weakest_concepts],
        "delivery": [vars(item) for item in stats.delivery],
    }


# ---------------------------------------------------------------- export

# The data formats, verbatim; the readable Markdown is a rendering (interviewer.cli.render.markdown).
EXPORT_FORMATS = ("json", "csv")
CSV_COLUMNS = ["session_id", "position", "kind", "parent_turn_id", "question_id", "prompt", "candidate", "answer",
               "status", "seconds", "score", "verdict", "grader", "covered", "missing", "asked_at"]


def export_session(db: sqlite3.Connection, session: SessionRecord, fmt: str) -> str:
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format '{fmt}' (use one of: {', '.join(EXPORT_FORMATS)})")
    if fmt == "json":
        return json.dumps(transcript_json(db, session), indent=2, ensure_ascii=False) + "\n"
    turns = transcripts.session_turns(db, session.id)
    if fmt == "csv":  # the only format left
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for turn in turns:
            grade = turn.latest_grade
            writer.writerow({
                "session_id": session.id, "position": turn.position, "kind": turn.kind,
                "parent_turn_id": turn.parent_turn_id or "", "question_id": turn.question_id,
                "prompt": turn.prompt, "candidate": turn.candidate or "", "answer": turn.answer or "",
                "status": turn.status, "seconds": turn.seconds if turn.seconds is not None else "",
                "score": f"{grade.score:.1f}" if grade else "", "verdict": grade.verdict if grade else "",
                "grader": grade.grader if grade else "",
                "covered": "; ".join(c.label for c in grade.grade.covered) if grade else "",
                "missing": "; ".join(c.label for c in grade.grade.missing) if grade else "",
                "asked_at": turn.asked_at,
            })
    return buffer.getvalue()


# ---------------------------------------------------------------- regrade


def gradable_turns(db: sqlite3.Connection, session: SessionRecord) -> list[TurnRecord]:
    return [turn for turn in transcripts.session_turns(db, session.id)
            if turn.status == "answered" and turn.answer is not None and turn.rubric]


@dataclass
class Regraded:
    """What a regrade did: answers graded, by which grader, and why some fell back."""

    count: int = 0
    by_grader: Counter = field(default_factory=Counter)
    fallback_reasons: Counter = field(default_factory=Counter)


def regrade_session(
    db: sqlite3.Connection,
    session: SessionRecord,
    grader: Grader,
    *,
    chunk: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> Regraded:
    """Grade every answered turn again from its snapshot; new grades are added, old ones kept."""
    turns = gradable_turns(db, session)
    done = Regraded()
    for start in range(0, len(turns), chunk):
        part = turns[start:start + chunk]
        requests = [
            GradeRequest(question=Question.model_validate(turn.question), rubric=Rubric.model_validate(turn.rubric),
                         answer=turn.answer or "", spoken=turn.audio is not None)
            for turn in part
        ]
        grades = grader.grade_many(requests)
        transcripts.add_grades_many(db, zip((turn.id for turn in part), grades))
        done.count += len(part)
        for grade in grades:
            done.by_grader[grade.grader] += 1
            if grade.fallback_reason:
                done.fallback_reasons[fallback_kind(grade.fallback_reason)] += 1
        if progress:
            progress(done.count, len(turns))
    return done
