"""Other people's text reaches the terminal literally: a hostile answer, candidate or question
id stored by a real batch run is shown with its control characters visible and its markup
as typed, by `grade`, `review`, `history`, `export --format md`; the store and JSON keep it verbatim."""

from __future__ import annotations

import csv
import json
import shlex
import shutil
import sys
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

# Retitles the window (OSC 0 ... BEL), clears the screen (CSI 2J), turns text red, plus markup.
HOSTILE_ANSWER = ("TensorBoard visualizes metrics like loss during training.\x1b]0;pwned\x07 "
                  "\x1b[2J\x1b[31m[red]bad/q[/red] [/bold] [/] \u202eevil")
HOSTILE_CANDIDATE = "[/bold]eve\x1b[31m"
MARKUP_IDS = ["[red]bad/q[/red]", "[/]"]


def run(*arguments: str):
    result = CliRunner().invoke(app, list(arguments), env={"COLUMNS": "250"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def assert_shown_literally(output: str) -> None:
    assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output
    assert "MarkupError" not in output and "Traceback" not in output


def hostile_batch(tmp_path: Path) -> tuple[Path, str]:
    source = tmp_path / "answers.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "candidate", "question_id", "answer"])
        writer.writerow(["1", HOSTILE_CANDIDATE, "dl-nlp/q1-tensorboard", HOSTILE_ANSWER])
        for number, question_id in enumerate(MARKUP_IDS, start=2):
            writer.writerow([str(number), "[/]", question_id, "Some answer"])
    result = run("grade", str(source), "--grader", "offline", "-o", str(tmp_path / "graded.csv"))
    assert result.exit_code == 1, result.output  # two rows name unknown questions
    return source, result.output


def test_grade_summary_and_errors_show_ids_and_candidates_as_typed(tmp_path):
    _, output = hostile_batch(tmp_path)
    assert_shown_literally(output)
    assert "unknown question id '[red]bad/q[/red]'" in output
    assert "unknown question id '[/]'" in output
    assert "[/bold]eve\\x1b[31m" in output


def test_review_and_export_md_show_a_hostile_answer_visibly(tmp_path):
    hostile_batch(tmp_path)
    for arguments in (("review", "latest", "--all"), ("review", "latest"), ("export", "latest", "--format", "md")):
        output = run(*arguments).output
        assert_shown_literally(output)
        assert "[/bold]eve\\x1b[31m" in output, arguments
        assert "\\x1b]0;pwned\\x07" in output, arguments
        if arguments != ("review", "latest"):  # the batch summary shows the start of each answer
            assert "\\x1b[2J\\x1b[31m[red]bad/q[/red] [/bold] [/] \\u202eevil" in output, arguments

    exported = tmp_path / "transcript.md"
    assert run("export", "latest", "--format", "md", "-o", str(exported)).exit_code == 0
    assert_shown_literally(exported.read_text(encoding="utf-8"))
    assert "\\x1b[2J" in exported.read_text(encoding="utf-8")


def test_store_and_json_keep_the_text_verbatim(tmp_path):
    hostile_batch(tmp_path)
    transcript = json.loads(run("review", "latest", "--json").output)
    (turn,) = transcript["turns"]
    assert turn["answer"] == HOSTILE_ANSWER and turn["candidate"] == HOSTILE_CANDIDATE
    exported = json.loads(run("export", "latest", "--format", "json").output)
    assert exported["turns"][0]["answer"] == HOSTILE_ANSWER


def test_history_shows_a_file_name_with_markup_and_escapes(tmp_path):
    folder = tmp_path / "[bold]cohort\x1b[2J"
    folder.mkdir()
    source = folder / "[red]answers.csv"
    source.write_text("id,question_id,answer\n1,dl-nlp/q1-tensorboard,It shows loss curves during training.\n",
                      encoding="utf-8")
    graded = run("grade", str(source), "--grader", "offline")
    assert graded.exit_code == 0, graded.output
    assert_shown_literally(graded.output)
    assert "[bold]cohort\\x1b[2J" in graded.output
    history = run("history")
    assert_shown_literally(history.output)
    assert "[red]answers.csv" in history.output


def test_bank_commands_show_a_user_bank_literally(tmp_path):
    questions = tmp_path / "hostile.yaml"
    questions.write_text(
        "bank: hostile\nquestions:\n"
        "  - id: hostile/q1\n    level: beginner\n    topics: ['[/bold]']\n"
        "    prompt: \"What is [red]dropout[/red]? \\e[2J\"\n"
        "    hint: \"[/] think \\e]0;t\\a\"\n"
        "    reference_answer: \"Dropout zeroes units at random. \\e[31m[/]\"\n",
        encoding="utf-8")
    (tmp_path / "hostile.rubric.yaml").write_text(
        "rubrics:\n  - question_id: hostile/q1\n    concepts:\n"
        "      - label: \"[/]Random \\e[1mzeroing\"\n        aliases: ['[/bold]']\n", encoding="utf-8")
    listed = run("bank", "list", "--bank", str(questions), "--topic", "[/bold]")
    assert listed.exit_code == 0, listed.output
    assert_shown_literally(listed.output)
    assert "What is [red]dropout[/red]? \\x1b[2J" in listed.output
    shown = run("bank", "show", "hostile/q1", "--bank", str(questions))
    assert shown.exit_code == 0, shown.output
    assert_shown_literally(shown.output)
    assert "[/] think \\x1b]0;t\\x07" in shown.output and "[/]Random \\x1b[1mzeroing" in shown.output


def test_csv_export_is_verbatim_into_a_pipe(tmp_path):
    hostile_batch(tmp_path)
    exported = run("export", "latest", "--format", "csv").output
    assert HOSTILE_ANSWER in next(csv.DictReader(exported.splitlines(keepends=True)))["answer"]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("command", [["review", "latest", "--all"], ["review", "latest"],
                                     ["export", "latest", "--format", "md"], ["export", "latest", "--format", "csv"]])
def test_in_a_real_terminal_the_answer_neither_retitles_nor_clears_it(tmp_path, interviewer_home, command):
    from tests.test_tmux import Terminal  # noqa: PLC0415

    hostile_batch(tmp_path)
    pane = Terminal(interviewer_home)
    try:
        line = " ".join(shlex.quote(part) for part in (sys.executable, "-m", "interviewer", *command))
        pane.tmux("start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";",
                  "new-session", "-d", "-x", "250", "-y", "50", "-s", "main", "-e", f"INTERVIEWER_HOME={interviewer_home}",
                  "-e", "PAGER=cat", f"printf 'BEFORE\\n'; {line}; printf 'AFTER\\n'")
        screen = pane.wait_for("AFTER")
        assert "BEFORE" in screen, "the screen was cleared"
        assert "\\x1b]0;pwned\\x07" in screen and "[/bold]eve\\x1b[31m" in screen
        assert pane.tmux("display", "-p", "-t", "main", "#{pane_title}").strip() != "pwned"
    finally:
        pane.close()
