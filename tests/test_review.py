"""history, review, stats, export and regrade on a store filled by real practice sessions."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.bank.loader import load_bank
from interviewer.cli import app
from interviewer.store import transcripts
from interviewer.store.db import connect

BANK = Path(__file__).parent / "test_practice_bank"
ZETA = ["--bank", str(BANK), "--topic", "zeta", "--grader", "offline"]
WEAK = "I am not sure, maybe something with computers."
FOLLOW_UP_ANSWER = "Something about the network, I think."


def run(*arguments: str, script: list[str] | None = None):
    result = CliRunner().invoke(app, list(arguments), input=None if script is None else "\n".join(script) + "\n")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def text(result) -> str:
    return " ".join(result.output.split())


@pytest.fixture()
def filled(interviewer_home):
    """Two finished sessions: a strong answer on LSTM gates, then two weak beginner answers
    (the first with an answered follow-up, the second with a skipped one)."""
    bank = load_bank([BANK])
    lstm = bank.get("zeta/q2-lstm-gates").question.reference_answer.strip().replace("\n", " ")
    first = run("practice", *ZETA, "--level", "intermediate", "-n", "1", script=[lstm, "/done", "n"])
    assert first.exit_code == 0, first.output
    second = run("practice", *ZETA, "--level", "beginner", "-n", "2",
                 script=[WEAK, "/done", FOLLOW_UP_ANSWER, "/done", WEAK, "/done", ""])
    assert second.exit_code == 0, second.output
    sessions = json.loads(run("history", "--json").output)
    return {"strong": sessions[1]["session_id"], "weak": sessions[0]["session_id"], "bank": bank}


def test_history_lists_practice_and_batch_sessions(filled):
    db = connect()
    batch = transcripts.create_session(db, kind="batch", source="/data/cohort-3.csv", grader="offline")
    table = text(run("history"))
    assert "Sessions (newest first)" in table
    for session_id in (filled["strong"], filled["weak"], batch):
        assert session_id[:8] in table
    assert "cohort-3.csv" in table and "batch" in table and "unfinished" in table
    assert table.count("finished") >= 3

    data = json.loads(run("history", "--json").output)
    assert [item["session_id"] for item in data] == [batch, filled["weak"], filled["strong"]]
    strong, weak = data[2], data[1]
    assert (strong["kind"], strong["level"], strong["answered"], strong["planned"], strong["finished"]) == (
        "practice", "intermediate", 1, 1, True)
    assert strong["mean_score"] >= 80
    assert weak["answered"] == 2 and weak["mean_score"] < 40
    assert data[0]["kind"] == "batch" and data[0]["finished"] is False and data[0]["mean_score"] is None
    assert len(json.loads(run("history", "--json", "--limit", "1").output)) == 1


def test_review_shows_the_graded_transcript_with_follow_ups(filled):
    shown = text(run("review", filled["weak"][:6]))
    assert filled["weak"] in shown and "practice · finished" in shown
    assert shown.count(WEAK) == 2 and FOLLOW_UP_ANSWER in shown
    assert "Follow-up on question 1" in shown and "Follow-up on question 2" in shown
    assert "(skipped)" in shown and "WEAK" in shown and "offline 1.0" in shown

    data = json.loads(run("review", "latest", "--json").output)
    assert data["session_id"] == filled["weak"]
    main = [turn for turn in data["turns"] if turn["kind"] == "question"]
    follow = [turn for turn in data["turns"] if turn["kind"] == "follow_up"]
    assert [turn["answer"] for turn in main] == [WEAK, WEAK]
    assert all(turn["score"] is not None and len(turn["grades"]) == 1 for turn in main)
    assert [turn["parent_turn_id"] for turn in follow] == [turn["turn_id"] for turn in main]
    assert [turn["status"] for turn in follow] == ["answered", "skipped"]
    assert follow[0]["answer"] == FOLLOW_UP_ANSWER and len(follow[0]["grade"]["concepts"]) == 1

    assert "practice · finished" in text(run("review", filled["strong"]))


def test_review_of_unknown_or_ambiguous_sessions_is_one_clear_line(filled):
    missing = run("review", "ffffffffff")
    assert missing.exit_code == 2 and "no session with id 'ffffffffff'" in text(missing)
    both = transcripts.create_session(connect(), session_id=filled["weak"][:4] + "x" * 28)
    assert both
    ambiguous = run("review", filled["weak"][:4])
    assert ambiguous.exit_code == 2 and "is ambiguous" in text(ambiguous)


def test_export_in_every_format(filled, tmp_path):
    session = filled["weak"]
    markdown = run("export", session, "--format", "md").output
    assert markdown.startswith(f"# Interview transcript {session[:8]}")
    assert markdown.count("## Question ") == 2 and markdown.count("### Follow-up") == 2
    assert WEAK in markdown and "*Skipped.*" in markdown and "**Score:**" in markdown

    exported = json.loads(run("export", session, "--format", "json").output)
    assert exported == json.loads(run("review", session, "--json").output)

    rows = list(csv.DictReader(io.StringIO(run("export", session, "-f", "csv").output)))
    assert [row["kind"] for row in rows] == ["question", "follow_up", "question", "follow_up"]
    assert rows[0]["answer"] == WEAK and float(rows[0]["score"]) < 40 and rows[3]["status"] == "skipped"
    assert rows[1]["parent_turn_id"] == str(exported["turns"][0]["turn_id"])

    target = tmp_path / "out" / "t.md"
    target.parent.mkdir()
    written = run("export", session, "-f", "md", "-o", str(target))
    assert written.exit_code == 0 and "Wrote md transcript (4 turns)" in text(written)
    assert target.read_text(encoding="utf-8") == markdown


def test_stats_show_progress_levels_topics_and_missed_concepts(filled):
    shown = text(run("stats"))
    assert "Progress: 3 answers in 2 practice sessions" in shown
    assert "Mean score per session" in shown and filled["strong"][:8] in shown
    assert "By level" in shown and "intermediate" in shown and "beginner" in shown
    assert "By topic (weakest first)" in shown and "zeta" in shown and "rnn" in shown
    assert "Concepts most often missed" in shown and "Randomly zeroes neurons" in shown

    data = json.loads(run("stats", "--json").output)
    reviewed = [json.loads(run("review", sid, "--json").output) for sid in (filled["strong"], filled["weak"])]
    scores = [turn["score"] for session in reviewed for turn in session["turns"] if turn["kind"] == "question"]
    assert data["answered"] == 3 and data["sessions"] == 2
    assert data["mean_score"] == pytest.approx(sum(scores) / 3)
    assert [item["session_id"] for item in data["by_session"]] == [filled["strong"], filled["weak"]]
    levels = {item["name"]: item for item in data["levels"]}
    assert levels["intermediate"]["mean_score"] == pytest.approx(scores[0])
    assert levels["beginner"]["answered"] == 2
    topics = [item["name"] for item in data["topics"]]
    assert topics[-1] == "rnn"  # weakest first: the strong LSTM answer is last
    missed = {(item["question_id"], item["label"]) for item in data["weakest_concepts"]}
    assert ("zeta/q1-dropout", "Randomly zeroes neurons") in missed
    assert not any(question_id == "zeta/q2-lstm-gates" for question_id, _ in missed)


def test_stats_on_an_empty_store():
    assert "No graded practice answers yet" in text(run("stats"))
    assert json.loads(run("stats", "--json").output)["answered"] == 0


@pytest.mark.embedding
def test_regrade_adds_grades_and_keeps_the_old_ones(filled):
    session = filled["weak"]
    before = json.loads(run("review", session, "--json").output)
    result = run("regrade", session[:8], "--grader", "embedding")
    assert result.exit_code == 0, result.output
    assert "Regraded 3 answers with the embedding grader; earlier grades are kept" in text(result)

    after = json.loads(run("review", session, "--json").output)
    for old, new in zip(before["turns"], after["turns"]):
        if old["status"] != "answered":
            assert new["grades"] == []
            continue
        assert [grade["grader"] for grade in new["grades"]] == ["offline", "embedding"]
        assert new["grades"][0] == old["grades"][0]
        assert new["grader"] == "embedding" and new["score"] == new["grades"][1]["score"]
    shown = text(run("review", session))
    assert "2 grades, latest shown" in shown and "embedding" in shown
    # the follow-up is graded against its one concept again
    follow = next(turn for turn in after["turns"] if turn["kind"] == "follow_up" and turn["status"] == "answered")
    assert len(follow["grades"][1]["concepts"]) == 1
