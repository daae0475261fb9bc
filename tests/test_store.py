"""The transcript store: migrations, the sessions/turns/grades API, concurrent writers, damaged files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.bank.loader import load_bank
from interviewer.cli import app
from interviewer.grading.models import Feedback, Grade, verdict_for
from interviewer.store import transcripts
from interviewer.store.db import connect
from interviewer.store.migrations import MIGRATIONS

BANK = Path(__file__).parent / "test_practice_bank"


@pytest.fixture(scope="module")
def item():
    return load_bank([BANK]).get("zeta/q1-dropout")


def make_grade(score: float, grader: str = "offline") -> Grade:
    return Grade(
        score=score, verdict=verdict_for(score), reference_similarity=score / 100,
        feedback=Feedback(good="g", missing="m", next_step="n"), grader=grader, grader_version="1",
    )


def tables(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_new_file_gets_every_migration(tmp_path):
    db = connect(tmp_path / "new.db")
    assert [row[0] for row in db.execute("SELECT name FROM migrations ORDER BY rowid")] == [
        name for name, _ in MIGRATIONS]
    assert {"sessions", "turns", "grades", "judge_cache", "snapshots", "question_cards"} <= tables(db)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _database_at(path: Path, applied: int) -> None:
    """A database as an older release left it: only the first `applied` migrations."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, migration in MIGRATIONS[:applied]:
        db.execute("BEGIN")
        migration(db)
        db.execute("INSERT INTO migrations VALUES (?, '2024-01-01T00:00:00+00:00')", (name,))
        db.execute("COMMIT")
    db.close()


@pytest.mark.parametrize("applied", range(1, len(MIGRATIONS)))
def test_every_earlier_schema_upgrades_and_keeps_its_data(tmp_path, item, applied):
    path = tmp_path / "old.db"
    _database_at(path, applied)
    old = sqlite3.connect(path, isolation_level=None)
    # Rows in the 001 layout: full question JSON in the turn, as the first release wrote them.
    old.execute("INSERT INTO sessions (id, kind, started_at, finished_at, level, grader, settings) VALUES "
                "('s-old', 'practice', '2024-01-01T10:00:00+00:00', '2024-01-01T10:05:00+00:00', 'beginner', "
                "'offline', ?)", (json.dumps({"plan": [item.id]}),))
    old.execute("INSERT INTO turns (session_id, position, question_id, question, rubric, answer, asked_at, seconds) "
                "VALUES ('s-old', 0, ?, ?, ?, 'Dropout zeroes neurons.', '2024-01-01T10:01:00+00:00', 12.5)",
                (item.id, item.question.model_dump_json(), item.rubric.model_dump_json()))
    old.execute("INSERT INTO grades (turn_id, grader, grader_version, score, verdict, grade, created_at) "
                "VALUES (1, 'offline', '1', 61, 'good', ?, '2024-01-01T10:01:01+00:00')",
                (make_grade(61).model_dump_json(),))
    old.close()

    db = connect(path)
    assert [row[0] for row in db.execute("SELECT name FROM migrations ORDER BY rowid")] == [n for n, _ in MIGRATIONS]
    turns = transcripts.session_turns(db, "s-old")
    assert turns[0].question["prompt"] == item.question.prompt
    assert turns[0].rubric["concepts"][0]["label"] == item.rubric.concepts[0].label
    assert turns[0].answer == "Dropout zeroes neurons." and turns[0].seconds == 12.5
    assert turns[0].latest_grade.score == 61
    summary = transcripts.list_sessions(db)[0]
    assert (summary.session.id, summary.answered, summary.mean_score, summary.planned) == ("s-old", 1, 61, 1)
    # and the new tables work on the upgraded file
    transcripts.save_card(db, item.id, {"card_id": 1}, due="2030-01-01T00:00:00+00:00", last_review=None, rating=3)
    assert transcripts.get_cards(db)[item.id].reviews == 1


def test_sessions_turns_and_grades_round_trip(tmp_path, item):
    db = connect(tmp_path / "t.db")
    sid = transcripts.create_session(db, kind="practice", level="beginner", topics=["zeta"], grader="offline",
                                     settings={"plan": [item.id]})
    turn = transcripts.add_turn(db, sid, question=item.question, rubric=item.rubric, answer="first answer",
                                seconds=3.0)
    follow = transcripts.add_turn(db, sid, question=item.question, rubric=item.rubric, answer=None,
                                  kind="follow_up", parent_turn_id=turn, status="skipped")
    transcripts.add_grade(db, turn, make_grade(30))
    transcripts.add_grade(db, turn, make_grade(70, grader="embedding"))

    # A second connection (another process would see the same): everything is committed already.
    other = connect(tmp_path / "t.db")
    turns = transcripts.session_turns(other, sid)
    assert [(t.position, t.kind, t.status) for t in turns] == [(0, "question", "answered"), (1, "follow_up", "skipped")]
    assert turns[1].parent_turn_id == turn and turns[1].id == follow
    assert [g.grader for g in turns[0].grades] == ["offline", "embedding"]
    assert turns[0].latest_grade.score == 70
    summary = transcripts.list_sessions(other)[0]
    assert (summary.answered, summary.skipped, summary.mean_score, summary.session.finished) == (1, 0, 70, False)
    transcripts.finish_session(db, sid)
    assert transcripts.get_session(other, sid).finished
    # one stored copy of the question and of the rubric for both turns
    assert other.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 2


def test_find_session_by_prefix_latest_and_ambiguity(tmp_path):
    db = connect(tmp_path / "f.db")
    ids = [transcripts.create_session(db, session_id=sid) for sid in ("abc111", "abc222", "def333")]
    assert transcripts.find_session(db, "latest").id == ids[-1]
    assert transcripts.find_session(db, "abc1").id == "abc111"
    with pytest.raises(Exception, match="ambiguous"):
        transcripts.find_session(db, "abc")
    with pytest.raises(Exception, match="no session with id 'zzz'"):
        transcripts.find_session(db, "zzz")
    assert transcripts.latest_unfinished(db).id == ids[-1]


def test_batch_inserts_keep_order_and_ids(tmp_path, item):
    db = connect(tmp_path / "b.db")
    sid = transcripts.create_session(db, kind="batch", source="answers.csv", grader="offline")
    ids = transcripts.add_turns_many(db, sid, [
        transcripts.TurnInput(question=item.question, rubric=item.rubric, answer=f"answer {n}", candidate=f"c{n}")
        for n in range(500)
    ])
    transcripts.add_grades_many(db, [(turn_id, make_grade(n % 100)) for n, turn_id in enumerate(ids)])
    transcripts.finish_session(db, sid)
    turns = transcripts.session_turns(db, sid)
    assert [t.id for t in turns] == ids
    assert [t.candidate for t in turns[:3]] == ["c0", "c1", "c2"] and turns[-1].answer == "answer 499"
    assert [t.position for t in turns] == list(range(500))
    assert turns[42].latest_grade.score == 42
    assert db.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 2


WRITER = textwrap.dedent(
    """
    import sys
    import time
    from pathlib import Path
    from interviewer.bank.loader import load_bank
    from interviewer.grading.models import Feedback, Grade
    from interviewer.store import transcripts
    from interviewer.store.db import connect

    path, bank, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    item = load_bank([bank]).get("zeta/q1-dropout")
    grade = Grade(score=50, verdict="partial", reference_similarity=0.5, grader=name, grader_version="1",
                  feedback=Feedback(good="g", missing="m", next_step="n"))
    db = connect(Path(path))
    # Start line: imports and migrating the new file take a different time in each process,
    # so both wait here until the other is ready to write.
    Path(f"{path}.{name}.ready").touch()
    while len(list(Path(path).parent.glob("*.ready"))) < 2:
        time.sleep(0.01)
    sid = transcripts.create_session(db, kind="batch", source=name, grader=name)
    for n in range(count):
        turn = transcripts.add_turn(db, sid, question=item.question, rubric=item.rubric, answer=f"{name} {n}")
        transcripts.add_grade(db, turn, grade)
    many = transcripts.add_turns_many(db, sid, [
        transcripts.TurnInput(question=item.question, rubric=item.rubric, answer=f"{name} bulk {n}")
        for n in range(count * 5)])
    transcripts.add_grades_many(db, [(turn, grade) for turn in many])
    transcripts.finish_session(db, sid)
    """
)


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "shared.db"  # not created yet: both processes also race to migrate it
    count = 400
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(BANK), name, str(count)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for name in ("alpha", "beta")
    ]
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        assert "locked" not in err
    db = connect(path)
    spans = [db.execute("SELECT MIN(asked_at), MAX(asked_at) FROM turns t JOIN sessions s ON s.id = t.session_id "
                        "WHERE s.source = ?", (name,)).fetchone() for name in ("alpha", "beta")]
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1], "the writers did not overlap"
    for name in ("alpha", "beta"):
        session = next(s for s in transcripts.list_sessions(db) if s.session.source == name)
        turns = transcripts.session_turns(db, session.session.id)
        assert len(turns) == count * 6
        assert {t.answer for t in turns} == {f"{name} {n}" for n in range(count)} | {
            f"{name} bulk {n}" for n in range(count * 5)}
        assert all(len(t.grades) == 1 for t in turns)
        assert [t.position for t in turns] == list(range(count * 6))
        assert session.session.finished


# ---------------------------------------------------------------- damaged files


def _check_refused(path: Path) -> None:
    before = path.read_bytes()
    for command in (["history"], ["review", "latest"], ["practice", "--grader", "offline"]):
        result = CliRunner().invoke(app, command, input="/quit\n")
        assert result.exit_code == 3, (command, result.output)
        message = " ".join(result.output.split())
        assert f"{path}: the transcript database cannot be used" in message
        assert "left untouched" in message and "Traceback" not in result.output
    assert path.read_bytes() == before


def test_random_bytes_are_refused_and_left_untouched(interviewer_home):
    interviewer_home.mkdir(parents=True)
    path = interviewer_home / "interviewer.db"
    path.write_bytes(os.urandom(8192))
    _check_refused(path)


def test_a_truncated_database_is_refused_and_left_untouched(interviewer_home, item):
    db = connect()
    sid = transcripts.create_session(db, grader="offline")
    for n in range(40):
        turn = transcripts.add_turn(db, sid, question=item.question, rubric=item.rubric, answer="x" * 2000 + str(n))
        transcripts.add_grade(db, turn, make_grade(50))
    db.close()
    path = interviewer_home / "interviewer.db"
    for leftover in interviewer_home.glob("interviewer.db-*"):
        leftover.unlink()
    data = path.read_bytes()
    assert data.startswith(b"SQLite format 3\x00")
    path.write_bytes(data[: len(data) // 2])
    _check_refused(path)
