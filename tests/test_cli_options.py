"""One vocabulary for options: -o/--output wherever a command writes a file (the old --out still
works), -n always means "how many", --json wherever a command prints results, and --help that
names what to type rather than Python types."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import typer
import pytest
from typer.testing import CliRunner

from interviewer.cli import app
from interviewer.cli.render import console, err_console


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """Wide enough that no table cell wraps what a test looks for."""
    monkeypatch.setattr(console, "width", 250)
    monkeypatch.setattr(err_console, "width", 250)

PYTHON_TYPE = re.compile(r"<(bool|str|int|float|path|list\[[^\]]*\]|int range|float range)>", re.IGNORECASE)
SEEDS = Path(__file__).parent / "fixtures" / "seeds"


def run(*arguments: str):
    result = CliRunner().invoke(app, list(arguments), env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def every_command() -> list[list[str]]:
    root = typer.main.get_command(app)
    found: list[list[str]] = [[]]

    def walk(group: object, path: list[str]) -> None:
        for name, command in getattr(group, "commands", {}).items():
            found.append([*path, name])
            walk(command, [*path, name])

    walk(root, [])
    return found


def test_help_of_every_command_names_values_not_python_types():
    commands = every_command()
    assert ["bank", "import"] in commands and ["review"] in commands
    for command in commands:
        result = run(*command, "--help")
        assert result.exit_code == 0, (command, result.output)
        assert not PYTHON_TYPE.search(result.output), (command, PYTHON_TYPE.search(result.output).group())
    practice = run("practice", "--help").output
    assert re.search(r"--count\s+-n\s+INTEGER", practice) and re.search(r"--bank\s+PATH", practice)
    assert re.search(r"--help\s+Show this message", practice)  # a flag takes no value
    assert "score_avg if present" in run("evaluate", "--help").output  # not eaten as markup


def test_output_is_dash_o_everywhere_and_the_old_out_still_works(tmp_path):
    source = tmp_path / "answers.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["id", "question_id", "answer"],
                                      ["1", "dl-nlp/q1-tensorboard", "It shows loss curves during training."]])
    for spelling in ("-o", "--output", "--out"):
        target = tmp_path / f"graded{spelling.strip('-')}.csv"
        assert run("grade", str(source), "--grader", "offline", spelling, str(target)).exit_code == 0
        assert target.exists(), spelling
    assert run("export", "latest", "--output", str(tmp_path / "t.md")).exit_code == 0
    for spelling in ("-o", "--output", "--out"):
        folder = tmp_path / f"bank{spelling.strip('-')}"
        result = run("bank", "import", str(SEEDS / "tensorflow-deep-dive.md"), spelling, str(folder), "--name", "tf-x")
        assert result.exit_code == 0, result.output
        assert (folder / "questions" / "tf-x.yaml").exists()
    for command in (["grade"], ["bank", "import"]):
        shown = run(*command, "--help").output
        assert "--output" in shown and "--out " not in shown  # the old spelling is hidden
    clash = run("grade", str(source), "-o", str(tmp_path / "a.csv"), "--out", str(tmp_path / "b.csv"))
    assert clash.exit_code == 2 and "disagree" in clash.output


def test_dash_n_means_how_many_and_json_is_offered_where_results_are_printed(tmp_path):
    for command in (["practice"], ["history"], ["review"], ["evaluate"]):
        shown = run(*command, "--help").output
        assert re.search(r"-n\s+INTEGER", shown), command
    assert not re.search(r"\s-n\s", run("bank", "import", "--help").output)  # --name has no -n any more
    for command in (["history"], ["review"], ["stats"], ["regrade"], ["grade"], ["evaluate"],
                    ["bank", "list"], ["bank", "show"], ["bank", "validate"], ["bank", "import"]):
        assert "--json" in run(*command, "--help").output, command

    imported = run("bank", "import", str(SEEDS / "tensorflow-deep-dive.md"), "-o", str(tmp_path / "b"), "--json")
    assert imported.exit_code == 0, imported.output
    data = json.loads(imported.output)
    assert data["questions"] == 10 and data["question_file"].endswith("tensorflow-deep-dive.yaml")

    result = CliRunner().invoke(app, ["practice", "--grader", "offline", "-n", "1", "--no-follow-ups"],
                                input="It applies the chain rule to get gradients.\n/done\nn\n")
    assert result.exit_code == 0, result.output
    regraded = run("regrade", "latest", "--grader", "offline", "--json")
    assert regraded.exit_code == 0, regraded.output
    assert json.loads(regraded.stdout) == {"session_id": json.loads(run("history", "--json").output)[0]["session_id"],
                                           "regraded": 1, "grader": "offline",
                                           "by_grader": {"offline": 1}, "fallback_reasons": {}}
