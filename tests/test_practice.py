"""`interviewer practice` end to end through the CLI with scripted input and the offline grader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.bank.loader import load_bank
from interviewer.cli import app
from interviewer.grading.models import ConceptStatus
from interviewer.practice.session import follow_up_prompt
from interviewer.store import transcripts
from interviewer.store.db import connect

BANK = Path(__file__).parent / "test_practice_bank"
ZETA = ["--bank", str(BANK), "--topic", "zeta", "--grader", "offline"]
WEAK_ANSWER = "I am not sure, maybe something with computers."


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture()
def bank():
    return load_bank([BANK])


class Run:
    """A finished command: `text` is its output with line wrapping undone, for phrase checks."""

    def __init__(self, result) -> None:
        self.exit_code = result.exit_code
        self.output = result.output
        self.text = " ".join(result.output.split())


def practice(runner: CliRunner, args: list[str], script: list[str]) -> Run:
    result = runner.invoke(app, ["practice", *args], input="".join(line + "\n" for line in script))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return Run(result)


def review_json(runner: CliRunner, session: str = "latest") -> dict:
    result = runner.invoke(app, ["review", session, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_quit_at_once_keeps_a_resumable_plan_then_resume_runs_the_whole_session(runner, bank, interviewer_home):
    first = practice(runner, [*ZETA, "-n", "3", "--seed", "7"], ["/quit"])
    assert first.exit_code == 0
    assert "Question 1 of 3" in first.text
    assert "Finish with two empty lines or a line /done" in first.text
    assert "Stopped with 3 questions left" in first.text
    assert "interviewer practice --resume" in first.text
    started = review_json(runner)
    plan = started["settings"]["plan"]
    assert sorted(plan) == sorted(item.id for item in bank) and started["turns"] == []
    assert started["finished"] is False

    strong_item, skipped_item, weak_item = (bank.get(question_id) for question_id in plan)
    required = next(concept for concept in weak_item.rubric.concepts if concept.required)
    reference_lines = strong_item.question.reference_answer.strip().splitlines()
    script = [
        "/hint",                                  # the question's hint or a missing concept
        *reference_lines[:1], "", *reference_lines[1:], "", "",   # paragraph break kept, two blanks finish
        "y",                                      # show the model answer
        "/skip",
        WEAK_ANSWER, "/done",                     # weak: model answer shown without asking
        required.description, "",  "",            # the follow-up, on the required concept
    ]
    result = practice(runner, ["--resume"], script)
    out = result.text
    assert result.exit_code == 0, result.output
    assert "Resuming session" in out and "3 of 3 questions left" in out
    expected_hint = strong_item.question.hint or strong_item.rubric.concepts[0].description
    assert expected_hint[:40] in out.split("Hint:", 1)[1][:200]
    assert out.count("Model answer") == 2
    assert "Skipped." in out
    assert "Follow-up on question 3" in out
    assert follow_up_prompt(required, ConceptStatus.missing) in out  # the follow-up asks about it
    assert "STRONG" in out and "WEAK" in out
    assert "Mean score:" in out and "Transcript saved in" in out and "interviewer review latest" in out

    data = review_json(runner)
    assert data["finished"] is True and data["session_id"] == started["session_id"]
    main = [turn for turn in data["turns"] if turn["kind"] == "question"]
    assert [turn["question_id"] for turn in main] == plan
    assert [turn["status"] for turn in main] == ["answered", "skipped", "answered"]
    assert main[0]["answer"] == "\n".join([reference_lines[0], "", *reference_lines[1:]]).strip()
    assert main[0]["verdict"] == "strong" and main[0]["score"] >= 80
    assert main[1]["answer"] is None and main[1]["grade"] is None
    assert main[2]["answer"] == WEAK_ANSWER and main[2]["verdict"] == "weak"
    follow = [turn for turn in data["turns"] if turn["kind"] == "follow_up"]
    assert len(follow) == 1
    assert follow[0]["parent_turn_id"] == main[2]["turn_id"]
    assert follow[0]["answer"] == required.description
    assert [concept["label"] for concept in follow[0]["grade"]["concepts"]] == [required.label]
    assert follow[0]["grade"]["concepts"][0]["status"] == "covered"

    # Spaced repetition: strong -> Easy (4), skipped -> Again (1), weak -> Again (1).
    cards = transcripts.get_cards(connect())
    assert {qid: cards[qid].last_rating for qid in plan} == {plan[0]: 4, plan[1]: 1, plan[2]: 1}
    assert cards[plan[0]].due > cards[plan[2]].due


def test_quit_midway_shows_the_summary_and_resume_asks_only_the_rest(runner, interviewer_home):
    result = practice(runner, [*ZETA, "--level", "beginner", "-n", "2", "--seed", "3"],
                      [WEAK_ANSWER, "", "", "", "/quit"])
    out = result.text
    assert result.exit_code == 0, result.output
    assert "Question 1 of 2" in out and "Question 2 of 2" in out
    assert "Follow-up skipped." in out
    assert "Stopped with 1 question left" in out
    history = json.loads(runner.invoke(app, ["history", "--json"]).output)
    assert history[0]["finished"] is False and history[0]["answered"] == 1 and history[0]["planned"] == 2
    plan = history[0]["settings"]["plan"]

    resumed = practice(runner, ["--resume"], [WEAK_ANSWER, "/done", "/skip"])
    assert "Question 2 of 2" in resumed.text and "Question 1 of 2" not in resumed.text
    data = review_json(runner)
    assert [t["question_id"] for t in data["turns"] if t["kind"] == "question"] == plan
    assert data["finished"] is True
    assert [t["status"] for t in data["turns"] if t["kind"] == "follow_up"] == ["skipped", "skipped"]

    nothing = runner.invoke(app, ["practice", "--resume"])
    assert nothing.exit_code == 2 and "no unfinished practice session" in " ".join(nothing.output.split())


def test_end_of_input_keeps_the_typed_answer(runner):
    result = practice(runner, [*ZETA, "--level", "intermediate", "-n", "1", "--no-follow-ups"],
                      ["The forget gate decides what to discard."])
    assert result.exit_code == 0, result.output
    turn = review_json(runner)["turns"][0]
    assert turn["answer"] == "The forget gate decides what to discard." and turn["score"] is not None


def test_hints_without_a_question_hint_name_missing_concepts_judged_from_the_text(runner, bank):
    item = bank.get("zeta/q2-lstm-gates")
    script = ["The forget gate decides what to discard from the cell state.", "/hint", "/hint", "/hint", "/quit"]
    out = practice(runner, [*ZETA, "--level", "intermediate", "-n", "1"], script).text
    hints = out.split("Hint:")[1:]
    assert len(hints) == 3
    assert "input gate" in hints[0].lower() and "output gate" in hints[1].lower()
    assert "forget gate" not in " ".join(hints).lower()  # already covered by the text typed
    assert "No more hints" in hints[2]
    assert item.question.hint is None


def test_selection_prefers_questions_not_asked_recently(runner):
    for _ in range(3):
        practice(runner, [*ZETA, "-n", "1", "--no-follow-ups"], ["/skip"])
    history = json.loads(runner.invoke(app, ["history", "--json"]).output)
    asked = [item["settings"]["plan"][0] for item in reversed(history)]
    assert len(set(asked)) == 3  # never-asked first: three sessions, three different questions
    again = practice(runner, [*ZETA, "-n", "1", "--no-follow-ups"], ["/skip"])
    assert again.exit_code == 0
    latest = json.loads(runner.invoke(app, ["history", "--json"]).output)[0]
    assert latest["settings"]["plan"] == [asked[0]]  # then the least recently asked


def test_same_seed_same_questions(runner):
    plans = []
    for _ in range(2):
        practice(runner, ["--grader", "offline", "-n", "3", "--seed", "11", "--level", "beginner"], ["/quit"])
        plans.append(review_json(runner)["settings"]["plan"])  # nothing answered: same state both times
    assert plans[0] == plans[1] and len(plans[0]) == 3


def test_due_asks_new_questions_then_says_nothing_is_due(runner):
    first = practice(runner, [*ZETA, "--due", "-n", "5"], ["/skip"] * 3)
    assert first.exit_code == 0, first.output
    assert "Question 3 of 3" in first.text  # only three questions in the bank: all new, all due
    later = runner.invoke(app, ["practice", *ZETA, "--due"])
    assert later.exit_code == 0
    assert "Nothing to practise: nothing is due for review (next due at" in " ".join(later.output.split())


def test_bad_options_give_one_clear_line(runner):
    unknown = runner.invoke(app, ["practice", "--topic", "no-such-topic", "--grader", "offline"])
    assert unknown.exit_code == 2
    assert "no questions match topics no-such-topic" in " ".join(unknown.output.split())
    assert "Traceback" not in unknown.output


def test_lines_typed_before_quitting_come_back_on_resume(runner, interviewer_home):
    started = practice(runner, [*ZETA, "--level", "intermediate", "-n", "1", "--no-follow-ups"],
                       ["The forget gate decides what to discard", "from the cell state,", "/quit"])
    assert started.exit_code == 0, started.output
    assert "You had started this answer" not in started.text

    resumed = practice(runner, ["--resume"], ["/restore", "and the input gate what to add.", "", ""])
    assert resumed.exit_code == 0, resumed.output
    assert ("You had started this answer when the session stopped: │ The forget gate decides what to discard "
            "│ from the cell state, Type /restore") in resumed.text
    assert "Restored; go on typing after it:" in resumed.text
    turns = [t for t in review_json(runner)["turns"] if t["kind"] == "question"]
    assert [t["answer"] for t in turns] == [
        "The forget gate decides what to discard\nfrom the cell state,\nand the input gate what to add."]
    assert turns[0]["score"] is not None
    db = connect()
    assert db.execute("SELECT COUNT(*) FROM drafts").fetchone()[0] == 0  # answered: nothing left to restore


def test_a_draft_can_be_left_aside(runner, interviewer_home):
    practice(runner, [*ZETA, "--level", "intermediate", "-n", "1", "--no-follow-ups"],
             ["An idea I no longer like.", "/quit"])
    resumed = practice(runner, ["--resume"], ["The forget gate discards old information.", "/done"])
    assert "You had started this answer" in resumed.text
    turns = [t for t in review_json(runner)["turns"] if t["kind"] == "question"]
    assert [t["answer"] for t in turns] == ["The forget gate discards old information."]
