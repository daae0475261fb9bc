"""`review` of a batch run: a summary by default (counts, graders, means per question, the
lowest-scored answers), every answer with --all, and a pager only on a real terminal."""

from __future__ import annotations

import csv
import json
import shlex
import shutil
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.cli import app
from interviewer.cli.render import console, err_console


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """Wide enough that no table cell wraps what a test looks for."""
    monkeypatch.setattr(console, "width", 250)
    monkeypatch.setattr(err_console, "width", 250)

GOOD = ("TensorBoard visualizes metrics like loss and accuracy during training, helps debugging, "
        "and you add it with a callback.")
GOOD_PYTORCH = ("Researchers prefer PyTorch because its dynamic computation graph runs eagerly, define-by-run, "
                "so you can debug it with ordinary Python tools and change the model on the fly.")
WEAK = "It is a board for tensors."


def run(*arguments: str):
    result = CliRunner().invoke(app, list(arguments), env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def graded_batch(tmp_path: Path, rows: int = 60) -> Path:
    source = tmp_path / "cohort.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "candidate", "question_id", "answer"])
        for number in range(1, rows + 1):
            question = "dl-nlp/q1-tensorboard" if number % 2 else "tf/q2-pytorch-research"
            answer = f"{WEAK} (answer {number})" if number % 20 == 0 else GOOD if number % 2 else GOOD_PYTORCH
            writer.writerow([str(number), f"cand{number % 7}", question, answer])
    result = run("grade", str(source), "--grader", "offline", "-o", str(tmp_path / "graded.csv"))
    assert result.exit_code == 0, result.output
    return source


def test_review_of_a_batch_summarises_it(tmp_path):
    graded_batch(tmp_path)
    output = run("review", "latest").output
    assert "60 answers: 60 graded" in output
    assert "graded by: offline 60" in output
    assert "Per question (lowest mean first)" in output
    assert "dl-nlp/q1-tensorboard" in output and "tf/q2-pytorch-research" in output
    assert "Lowest scores (10 of 60)" in output
    # the three weak answers are the lowest, with their input row numbers
    for number in (20, 40, 60):
        assert f"(answer {number})" in output
    assert output.count(GOOD[:40]) <= 7  # never every answer
    assert "--all` shows every answer" in output

    few = run("review", "latest", "-n", "3").output
    assert "Lowest scores (3 of 60)" in few
    assert all(f"(answer {number})" in few for number in (20, 40, 60)) and GOOD[:40] not in few


def test_review_all_shows_every_answer_and_json_is_unchanged(tmp_path):
    graded_batch(tmp_path, rows=12)
    output = run("review", "latest", "--all").output
    assert output.count("Answer:") == 12 and "Lowest scores" not in output
    data = json.loads(run("review", "latest", "--json").output)
    assert len(data["turns"]) == 12 and {"session_id", "mean_score", "planned", "turns"} <= set(data)


def test_review_of_a_practice_session_is_still_the_whole_transcript(tmp_path):
    result = CliRunner().invoke(app, ["practice", "--grader", "offline", "-n", "1", "--no-follow-ups"],
                                input="Backpropagation applies the chain rule to compute gradients.\n/done\nn\n")
    assert result.exit_code == 0, result.output
    output = run("review", "latest").output
    assert "Answer:" in output and "Backpropagation applies the chain rule" in output
    assert "Lowest scores" not in output


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_review_pages_on_a_terminal_only(tmp_path, interviewer_home):
    from tests.test_tmux import Terminal  # noqa: PLC0415 - the tmux helper of the practice tests

    graded_batch(tmp_path, rows=40)
    paged = tmp_path / "paged.txt"
    pane = Terminal(interviewer_home)
    try:
        command = " ".join(shlex.quote(part) for part in (sys.executable, "-m", "interviewer", "review", "--all"))
        pane.tmux("start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";",
                  "new-session", "-d", "-x", "200", "-y", "50", "-s", "main", "-e", f"INTERVIEWER_HOME={interviewer_home}",
                  "-e", f"PAGER=cat > {shlex.quote(str(paged))}", f"exec {command}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (paged.exists() and "Mean score" in paged.read_text()):
            time.sleep(0.1)
        text = paged.read_text()
        assert text.count("Answer:") == 40, "the whole transcript went to $PAGER"
        assert "Answer:" not in pane.screen(), "nothing was printed around the pager"
        # the pager got the colours (rich styles), for `less -R`
        assert "\x1b[" in text
    finally:
        pane.close()

    # Not a terminal (a pipe, a file): printed directly, no pager, no colour codes.
    piped = run("review", "--all").output
    assert piped.count("Answer:") == 40 and "\x1b[" not in piped


def less_still_runs(parent: int) -> bool:
    """Whether a `less` runs below the process (the pager, maybe under a shell)."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        pid, rest = int(text.split(" ", 1)[0]), text.rsplit(")", 1)
        names[pid] = text[text.index("(") + 1 : text.rindex(")")]
        children.setdefault(int(rest[1].split()[1]), []).append(pid)
    waiting = list(children.get(parent, []))
    while waiting:
        pid = waiting.pop()
        if names.get(pid) == "less":
            return True
        waiting.extend(children.get(pid, []))
    return False


@pytest.mark.skipif(shutil.which("tmux") is None or shutil.which("less") is None, reason="needs tmux and less")
def test_quitting_less_early_ends_review_at_once_and_cleanly(tmp_path, interviewer_home):
    from tests.test_tmux import Terminal  # noqa: PLC0415

    graded_batch(tmp_path, rows=300)
    pane = Terminal(interviewer_home)
    try:
        command = " ".join(shlex.quote(part) for part in (sys.executable, "-m", "interviewer", "review", "--all"))
        pane.tmux("start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";",
                  "new-session", "-d", "-x", "150", "-y", "40", "-s", "main", "-e", f"INTERVIEWER_HOME={interviewer_home}",
                  "-e", "PAGER=less", "-e", "LESS=FRX",
                  # the shell reports review's exit status on screen: tmux itself sometimes never reaps
                  # a pane's ended process (seen with tmux 3.3a), so its pane_dead_status can stay empty
                  f"{command}; echo review exited with status $?")
        pane.wait_for("Answer:")  # the first screen, while the rest is still being rendered
        assert "Mean score" not in pane.screen()
        # less reads keys once its prompt shows; a key pressed before that can be lost
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and pane.screen_lines()[-1:] != [":"]:
            time.sleep(0.1)
        pane.tmux("send-keys", "-t", "main", "q")
        review = pane.process_id()
        deadline = time.monotonic() + 30
        pressed = time.monotonic()
        while time.monotonic() < deadline and "review exited with status" not in pane.screen():
            time.sleep(0.1)
            if time.monotonic() - pressed > 3 and less_still_runs(review):
                # the key never reached less (it was still setting up the terminal): review is not at fault
                pane.tmux("send-keys", "-t", "main", "q")
                pressed = time.monotonic()
        assert "review exited with status 0" in pane.screen(), "review still ran 30 s after q, or failed"
        assert "Traceback" not in pane.screen()
    finally:
        pane.close()
