"""`interviewer practice` in a real terminal (tmux): Ctrl-C while an answer is being graded, then
`--resume` grades it; text typed at the model-answer prompt is never silently taken as "no"."""

from __future__ import annotations

import shutil
import time

import pytest

from interviewer.bank.loader import load_default_bank
from interviewer.grading.models import GradeRequest
from interviewer.grading.offline import OfflineGrader
from tests.judge_server import JudgeServer, Recorded, Reply, structured
from tests.test_tmux import INSTRUCTIONS, MODEL_PROMPT, Terminal, cli_json

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

FIRST = "Backpropagation applies the chain rule to get the gradients of the loss with respect to every weight."


@pytest.fixture()
def terminal(interviewer_home):
    interviewer_home.mkdir(parents=True, exist_ok=True)
    pane = Terminal(interviewer_home)
    yield pane
    pane.close()


@pytest.fixture()
def slow_judge():
    server = JudgeServer()
    server.handle(lambda request: structured({"score": 90}, delay=300))  # still grading when Ctrl-C comes
    yield server
    server.close()


def test_ctrl_c_while_grading_then_resume_grades_the_answer(terminal, slow_judge):
    terminal.start("practice", "--grader", "judge", "--judge-base-url", slow_judge.url, "--judge-model", "m",
                   "--judge-timeout", "600", "--level", "beginner", "--topic", "tensorflow", "-n", "2",
                   "--seed", "5", "--no-follow-ups")
    terminal.wait_for("Question 1 of 2")
    terminal.wait_for(INSTRUCTIONS)
    terminal.type(FIRST)
    terminal.enter(2)
    deadline = time.monotonic() + 180  # the embedding evidence grades first; then the judge is asked
    while time.monotonic() < deadline and not slow_judge.chat_requests:
        time.sleep(0.2)
    assert slow_judge.chat_requests, f"the judge was never asked; the screen:\n{terminal.screen()}"
    terminal.tmux("send-keys", "-t", "main", "C-c")
    screen = terminal.wait_for("practice --resume")
    assert "1 question left and 1 answer saved but not graded yet" in screen, screen
    assert "--resume` grades it and asks the rest" in screen and "Traceback" not in screen
    stored = cli_json("review", "latest", "--json")
    assert [turn["answer"] for turn in stored["turns"]] == [FIRST] and stored["turns"][0]["score"] is None
    terminal.close()
    item = load_default_bank().get(stored["turns"][0]["question_id"])
    expected = OfflineGrader().grade(GradeRequest.for_item(item, FIRST)).score

    terminal.start("practice", "--resume", "--grader", "offline")  # --no-follow-ups is kept
    screen = terminal.wait_for("Grading your answer to question 1")
    assert "1 answer to grade, 1 of 2 questions left" in screen
    terminal.wait_for(f"{expected:.1f}/100")  # the offline grade of the stored answer
    terminal.wait_for(MODEL_PROMPT)
    terminal.type("n")
    terminal.answer(2, 2, "It watches the loss.")
    terminal.wait_for("Transcript saved in")

    transcript = cli_json("review", "latest", "--json")
    main = [turn for turn in transcript["turns"] if turn["kind"] == "question"]
    assert [turn["answer"] for turn in main][0] == FIRST and len(main) == 2
    assert main[0]["score"] == pytest.approx(expected, abs=0.05) and main[0]["grade"]["grader"] == "offline"
    assert main[1]["score"] is not None and transcript["finished"] is True


def test_text_typed_at_the_model_answer_prompt_is_asked_again_not_dropped(terminal):
    terminal.start("practice", "--grader", "offline", "--level", "beginner", "--topic", "tensorflow", "-n", "1",
                   "--seed", "5", "--no-follow-ups")
    terminal.wait_for(INSTRUCTIONS)
    terminal.type(FIRST)
    terminal.enter(2)
    terminal.wait_for(MODEL_PROMPT)
    terminal.type("and the optimizer then uses those gradients")
    screen = terminal.wait_for("Please type y or n")
    assert '"and the optimizer then uses those gradients" is not part of it' in screen
    assert screen.count(MODEL_PROMPT) == 2 and "Model answer" not in screen
    terminal.type("y")
    terminal.wait_for("Model answer")
    terminal.wait_for("Transcript saved in")
    (turn,) = cli_json("review", "latest", "--json")["turns"]
    assert turn["answer"] == FIRST
