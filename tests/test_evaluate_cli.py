"""`interviewer evaluate` on a small human-scored CSV, and its errors on bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.cli import app

FIXTURE = Path(__file__).parent / "fixtures" / "evaluate" / "small.csv"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["evaluate", *args])


def test_json_report_agrees_with_the_human_scores():
    result = run(str(FIXTURE), "--grader", "offline", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"n", "pearson", "spearman", "rmse", "ms_per_answer", "grader", "file"} <= set(report)
    assert report["n"] == 11
    assert report["grader"] == "offline"
    assert report["pearson"] > 0.7 and report["spearman"] > 0.7
    assert 0 < report["rmse"] < 2.5
    assert report["ms_per_answer"] > 0
    by_question = {q["question_id"]: q for q in report["questions"]}
    assert by_question["dl-nlp/q14-dropout"]["rubric"] == "bank"
    assert by_question["stack-lifo"]["rubric"] == "derived"
    assert by_question["stack-lifo"]["n"] == 4


def test_table_output_and_limit():
    result = run(str(FIXTURE), "--grader", "offline", "--limit", "5")
    assert result.exit_code == 0, result.output
    assert "Pearson r" in result.stdout and "Spearman rho" in result.stdout
    assert "5 answers graded by offline" in result.stdout
    assert "stack-lifo" in result.stdout


def test_score_column_can_be_named(tmp_path):
    text = FIXTURE.read_text(encoding="utf-8").replace("score\n", "marks\n", 1)
    path = tmp_path / "marks.csv"
    path.write_text(text, encoding="utf-8")
    assert run(str(path), "--grader", "offline").exit_code == 2
    result = run(str(path), "--grader", "offline", "--score-column", "marks", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n"] == 11


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("question,reference_answer,score\nq,r,1\n", "missing column student_answer (or answer)"),
        ("question,reference_answer,answer,score\nWhat?,Because.,Yes,1\nWhat?,Because.,No,high\n",
         "row 3: score column 'score' holds 'high', not a number"),
        ("question,reference_answer,answer,score\nWhat?,Because.,Yes,\n", "row 2: score column 'score' holds an empty value"),
        ("", "the file is empty"),
        ("question,reference_answer,answer,score\n", "no scored answers"),
    ],
)
def test_bad_files_name_the_file_and_row(tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = run(str(path), "--grader", "offline")
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "bad.csv" in result.stderr
    assert "Traceback" not in result.output


def test_not_utf8_and_missing_file(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("question,reference_answer,answer,score\nQué?,Sí,Sí,1\n".encode("latin-1"))
    result = run(str(path), "--grader", "offline")
    assert result.exit_code == 2
    assert "not UTF-8" in result.stderr and "line 2" in result.stderr
    result = run(str(tmp_path / "absent.csv"), "--grader", "offline")
    assert result.exit_code == 2
    assert "no such file" in result.stderr
