"""`interviewer practice` in a real terminal (tmux): killed mid-session, nothing entered is lost."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import closing

import pytest
from typer.testing import CliRunner

from interviewer.cli import app

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

INSTRUCTIONS = "Finish with two empty lines or a line /done"
MODEL_PROMPT = "Show the model answer? [y/N]"
FOLLOW_UP = "Answer the follow-up"


class Terminal:
    """One tmux pane on a private tmux server, 200x50."""

    def __init__(self, home, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.env = env or {}
        self.server = self.fresh_server_name()
        self.handled = {MODEL_PROMPT: 0, FOLLOW_UP: 0}

    @staticmethod
    def fresh_server_name() -> str:
        return f"interviewer-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def tmux(self, *args: str) -> str:
        result = subprocess.run(["tmux", "-L", self.server, *args], capture_output=True, text=True)
        if result.returncode:
            raise AssertionError(f"tmux {' '.join(args[:1])} exited {result.returncode}: {result.stderr.strip()}")
        return result.stdout

    def start(self, *arguments: str) -> None:
        # A fresh server each time: one just killed may still hold its socket name for a moment.
        self.close()
        self.server = self.fresh_server_name()
        command = " ".join(shlex.quote(part) for part in (sys.executable, "-m", "interviewer", *arguments))
        extra = [item for name, value in self.env.items() for item in ("-e", f"{name}={value}")]
        # Without a client terminal tmux hands the pane COLUMNS=80/LINES=24: state the real size.
        # remain-on-exit keeps the last screen readable after the program ends (set before it starts: no race).
        self.tmux("start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";",
                  "new-session", "-d", "-x", "200", "-y", "50", "-s", "main", "-e", f"INTERVIEWER_HOME={self.home}",
                  "-e", "COLUMNS=200", "-e", "LINES=50", *extra, f"exec {command}")
        self.handled = {MODEL_PROMPT: 0, FOLLOW_UP: 0}
        self.questions_shown = 0

    def screen(self) -> str:
        """The pane's text with line wrapping undone (whitespace runs become one space)."""
        return " ".join(self.tmux("capture-pane", "-p", "-J", "-S", "-5000", "-t", "main").split())

    def wait_for(self, text: str, count: int = 1, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if screen.count(" ".join(text.split())) >= count:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} (x{count}) never appeared; the screen:\n{self.screen()}")

    def type(self, text: str, *, enter: bool = True) -> None:
        self.tmux("send-keys", "-t", "main", "-l", text)
        if enter:
            self.tmux("send-keys", "-t", "main", "Enter")

    def enter(self, times: int = 1) -> None:
        for _ in range(times):
            self.tmux("send-keys", "-t", "main", "Enter")

    def answer(self, number: int, total: int, text: str) -> None:
        """Answer question NUMBER, then decline the model answer and skip the follow-up if offered."""
        self.wait_for(f"Question {number} of {total}")
        self.questions_shown += 1
        self.wait_for(INSTRUCTIONS, count=self.questions_shown)
        self.type(text)
        self.enter(2)
        next_marker = f"Question {number + 1} of {total}" if number < total else "Transcript saved in"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            screen = self.screen()
            if next_marker in screen:
                return
            for prompt, key in ((MODEL_PROMPT, "n"), (FOLLOW_UP, "")):
                if screen.count(prompt) > self.handled[prompt]:
                    self.handled[prompt] += 1
                    self.type(key)
            time.sleep(0.1)
        raise AssertionError(f"question {number} never finished; the screen:\n{self.screen()}")

    def screen_lines(self) -> list[str]:
        """The pane's visible lines, trailing blank ones dropped."""
        return self.tmux("capture-pane", "-p", "-t", "main").rstrip().splitlines()

    def process_id(self) -> int:
        return int(self.tmux("list-panes", "-t", "main", "-F", "#{pane_pid}").split()[0])

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.server, "kill-server"], capture_output=True)


@pytest.fixture()
def terminal(interviewer_home):
    interviewer_home.mkdir(parents=True, exist_ok=True)
    pane = Terminal(interviewer_home)
    yield pane
    pane.close()


def process_ended(pid: int) -> bool:
    """Gone, or a zombie: tmux keeps a dead pane's process unreaped while remain-on-exit holds the screen."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def draft_saved(home, text: str) -> bool:
    try:
        with closing(sqlite3.connect(home / "interviewer.db", timeout=5)) as db:
            return db.execute("SELECT COUNT(*) FROM drafts WHERE text = ?", (text,)).fetchone()[0] == 1
    except sqlite3.OperationalError:  # not created yet
        return False


def cli_json(*arguments: str):
    result = CliRunner().invoke(app, list(arguments))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


ANSWERS = [
    "It changes the weights so the training loss goes down, using gradients from the data.",
    "You watch a validation metric and stop when it no longer improves, to avoid overfitting.",
]


def test_sigkill_mid_answer_loses_nothing_and_resume_asks_the_third_question(terminal):
    terminal.start("practice", "--grader", "offline", "-n", "3", "--seed", "1")
    terminal.answer(1, 3, ANSWERS[0])
    terminal.answer(2, 3, ANSWERS[1])
    terminal.wait_for(INSTRUCTIONS, count=3)
    terminal.type("The third answer starts here and")  # typed, Enter pressed, answer not finished
    terminal.wait_for("> The third answer starts here and")
    deadline = time.monotonic() + 10  # the line is kept as a draft as soon as it is read
    while time.monotonic() < deadline and not draft_saved(terminal.home, "The third answer starts here and"):
        time.sleep(0.05)
    assert draft_saved(terminal.home, "The third answer starts here and")

    pid = terminal.process_id()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not process_ended(pid):
        time.sleep(0.05)
    assert process_ended(pid), "the practice process survived SIGKILL"
    terminal.close()

    transcript = cli_json("review", "latest", "--json")
    main = [turn for turn in transcript["turns"] if turn["kind"] == "question"]
    assert [turn["answer"] for turn in main] == ANSWERS
    assert all(turn["score"] is not None and turn["grade"]["grader"] == "offline" for turn in main)
    history = cli_json("history", "--json")
    assert history[0]["session_id"] == transcript["session_id"]
    assert history[0]["finished"] is False and history[0]["answered"] == 2 and history[0]["planned"] == 3
    third = transcript["settings"]["plan"][2]

    terminal.start("practice", "--resume")
    screen = terminal.wait_for("Question 3 of 3")
    assert "Resuming session" in screen and "Question 1 of 3" not in screen
    screen = terminal.wait_for("Type /restore to go on from it")
    assert "You had started this answer when the session stopped: │ The third answer starts here and" in screen
    terminal.answer(3, 3, "A complete third answer this time.")
    screen = terminal.wait_for("Transcript saved in")
    assert "Mean score:" in screen

    transcript = cli_json("review", "latest", "--json")
    main = [turn for turn in transcript["turns"] if turn["kind"] == "question"]
    assert [turn["question_id"] for turn in main][2] == third
    assert main[2]["answer"] == "A complete third answer this time." and main[2]["score"] is not None
    assert transcript["finished"] is True


def test_time_limit_takes_the_answer_as_it_is(terminal):
    terminal.start("practice", "--grader", "offline", "-n", "1", "--time-limit", "4", "--no-follow-ups")
    terminal.wait_for(INSTRUCTIONS)
    assert "left] >" in terminal.screen()
    terminal.type("Entered before the time ran out.")
    terminal.type("half a line never entered", enter=False)
    screen = terminal.wait_for("Time is up", timeout=30)
    screen = terminal.wait_for("(time ran out)")
    if MODEL_PROMPT in terminal.screen():
        terminal.type("n")
    terminal.wait_for("Transcript saved in")
    turn = cli_json("review", "latest", "--json")["turns"][0]
    assert turn["answer"] == "Entered before the time ran out."
    assert 3.5 <= turn["seconds"] < 20


def test_ctrl_c_keeps_the_answers_and_says_how_to_resume(terminal):
    terminal.start("practice", "--grader", "offline", "-n", "2", "--no-follow-ups")
    terminal.answer(1, 2, ANSWERS[0])
    terminal.wait_for(INSTRUCTIONS, count=2)
    terminal.tmux("send-keys", "-t", "main", "C-c")
    screen = terminal.wait_for("practice --resume")
    assert "Interrupted with 1 question left" in screen and "Traceback" not in screen
    transcript = cli_json("review", "latest", "--json")
    assert [turn["answer"] for turn in transcript["turns"]] == [ANSWERS[0]]
    assert transcript["finished"] is False
