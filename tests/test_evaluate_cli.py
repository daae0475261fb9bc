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


# --- the judge, measured against the human scores (a real local HTTP server plays the model) ---

import csv  # noqa: E402

from tests.judge_server import JudgeServer, Recorded, Reply, error, structured  # noqa: E402

HUMAN = {row["student_answer"]: float(row["score"])
         for row in csv.DictReader(FIXTURE.open(encoding="utf-8")) if row["student_answer"]}


def _answer_of(request: Recorded) -> str:
    return request.prompt.split("<<<CANDIDATE_ANSWER>>>\n", 1)[1].split("\n<<<END_CANDIDATE_ANSWER>>>", 1)[0]


def _labels(request: Recorded) -> list[str]:
    items = request.body["response_format"]["json_schema"]["schema"]["properties"]["concepts"]["items"]
    return items["properties"]["label"]["enum"]


def _reply(request: Recorded, score: float) -> Reply:
    return structured({
        "concepts": [{"label": label, "status": "missing", "quote": ""} for label in _labels(request)],
        "score": score, "feedback": {"good": "g", "missing": "m", "next_step": "n"}, "follow_up": "Why?",
    })


@pytest.fixture
def judge_server():
    server = JudgeServer()
    yield server
    server.close()


def judge_run(server: JudgeServer, *args: str):
    return run(str(FIXTURE), "--grader", "judge", "--judge-base-url", server.url, "--judge-model", "m",
               "--json", *args)


def test_a_judge_that_scores_every_answer_the_same_is_called_out(judge_server):
    judge_server.handle(lambda request: _reply(request, 0))
    result = judge_run(judge_server)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    judge = report["judge"]
    assert report["grader"] == "judge" and report["fallbacks"] == 0
    assert (judge["judged"], judge["fell_back"], judge["not_sent"]) == (10, 0, 1)  # one answer is empty
    assert judge["own"]["pearson"] is None  # a constant has no correlation
    assert judge["spread"] == 0 and judge["most_common"] == {"score": 0.0, "answers": 10}
    assert any("barely vary: 10 of 10 answers got 0" in finding for finding in judge["findings"])
    # At the default weight a constant 0 drags every grade down, which is said too.
    assert judge["mean_blend"] < judge["mean_evidence"] - 10
    assert any("the judge lowers grades by" in finding for finding in judge["findings"])
    assert judge["fitted_weight"] == 0.0
    # Blended at the default weight the constant only shifts scores: agreement is the evidence's.
    assert judge["blend"]["pearson"] == pytest.approx(judge["evidence"]["pearson"], abs=1e-3)

    table = run(str(FIXTURE), "--grader", "judge", "--judge-base-url", judge_server.url, "--judge-model", "m")
    assert "The judge's own scores barely vary" in " ".join(table.stdout.split())
    assert "the model's own score" in table.stdout


def test_a_failing_judge_is_counted_as_fallbacks_with_the_reason(judge_server):
    judge_server.queue(error(500, "boom"))
    result = judge_run(judge_server)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["grader"] == "judge"
    assert report["fallbacks"] == 10 and report["fallback_reasons"] == {"server_error": 10}
    assert "judge" not in report["graded_by"] and sum(report["graded_by"].values()) == 11
    assert report["judge"]["fell_back"] == 10 and report["judge"]["judged"] == 0
    assert any("no usable reply" in finding for finding in report["judge"]["findings"])
    # Switched off after three failed answers: told once, and the rest never sent.
    assert result.stderr.count("the judge is not called again in this run") == 1
    assert len(judge_server.chat_requests) <= 5


def test_a_judge_that_agrees_with_the_humans_earns_its_weight_and_keeps_it(judge_server, tmp_path):
    judge_server.handle(lambda request: _reply(request, HUMAN.get(_answer_of(request), 0) * 20))
    first = judge_run(judge_server, "--save-weight")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    judge = report["judge"]
    assert judge["own"]["pearson"] == pytest.approx(1.0)
    assert judge["fitted_weight"] > 0.5 and judge["fitted_pearson"] > judge["evidence"]["pearson"]
    assert judge["weights"] == {"0.70 default": 10}
    assert sorted(report["saved_weight_banks"]) == ["dl-nlp", "eval"]
    assert any("adds" in finding for finding in judge["findings"])
    assert judge["spread"] > 5 and not any("barely vary" in finding for finding in judge["findings"])

    again = json.loads(judge_run(judge_server).stdout)["judge"]
    assert again["cached"] == 10 and again["judged"] == 0
    assert again["weights"] == {f"{judge['fitted_weight']:.2f} measured": 10}
    assert again["blend"]["pearson"] == pytest.approx(judge["fitted_pearson"], abs=1e-3)


def test_save_weight_without_a_judge_reply_is_refused(judge_server):
    judge_server.queue(error(401, "no"))
    result = judge_run(judge_server, "--save-weight")
    assert result.exit_code == 2 and "nothing to save" in result.stderr
