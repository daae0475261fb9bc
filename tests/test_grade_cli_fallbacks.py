"""Which grader graded each answer, and why not the judge: through the real CLI against a real
HTTP server that fails in every way a judge can (500, garbage, timeouts, 401, nothing listening,
death mid-run). Also: progress that moves from the first rows, and the model load as a step."""

from __future__ import annotations

import csv
import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.bank.loader import load_default_bank
from interviewer.cli import app
from tests.judge_server import JudgeServer, Recorded, Reply, completion, error, structured

ROWS = 3


@pytest.fixture
def server():
    judge_server = JudgeServer()
    yield judge_server
    judge_server.close()


@pytest.fixture(scope="module")
def item():
    return next(iter(load_default_bank()))


def write_submissions(path: Path, item, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "question_id", "answer"])
        for n in range(rows):
            writer.writerow([f"a{n}", item.id, f"{item.question.reference_answer} (take {n})"])
    return path


def good_reply(item, score: int = 70) -> Reply:
    return structured({
        "concepts": [{"label": c.label, "status": "missing", "quote": ""} for c in item.rubric.concepts],
        "score": score, "feedback": {"good": "g", "missing": "m", "next_step": "n"}, "follow_up": "Why?",
    })


def run(*args: object):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def rows_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8", newline="")))


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


FAULTS = {
    # name: (how the server fails, extra options, the reason every row must give)
    "server error": (lambda s, item: s.queue(error(500, "boom")), [], "judge: HTTP 500"),
    "garbage": (lambda s, item: s.queue(completion("certainly! the grade is {{{ not json")), [],
                "judge: reply unusable"),
    "timeout": (lambda s, item: s.queue(Reply(body=good_reply(item).body, delay=3.0)),
                ["--judge-timeout", "0.5"], "judge: no reply within 0.5 s"),
    "auth": (lambda s, item: s.queue(error(401, "bad key")), [], "judge: HTTP 401"),
    "nothing listening": (None, [], "judge: cannot connect"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_judge_failure_is_a_fallback_the_rows_summary_json_and_report_name(
    fault: str, server: JudgeServer, item, tmp_path: Path
) -> None:
    script, extra, reason = FAULTS[fault]
    url = server.url
    if script is None:
        url = closed_port_url()
    else:
        script(server, item)
    source = write_submissions(tmp_path / "answers.csv", item, ROWS)
    out, report = tmp_path / "graded.csv", tmp_path / "report.html"
    options = ["--grader", "judge", "--judge-base-url", url, "--judge-model", "m", "--concurrency", "1", *extra]

    result = run("grade", source, *options, "--out", out, "--report", report, "--json")
    assert result.exit_code == 5, result.output
    rows = rows_of(out)
    assert [row["error"] for row in rows] == [""] * ROWS
    assert {row["grader"] for row in rows} <= {"embedding", "offline"} and all(row["score"] for row in rows)
    assert all(row["fallback_reason"].startswith(reason) for row in rows), [r["fallback_reason"] for r in rows]

    summary = json.loads(result.stdout)
    assert summary["grader"] == "judge" and summary["fallbacks"] == ROWS and summary["exit_code"] == 5
    assert "judge" not in summary["per_grader"] and sum(s["count"] for s in summary["per_grader"].values()) == ROWS
    assert [key for key in summary["fallback_reasons"]] and all(
        key.startswith(reason.split(" within")[0]) for key in summary["fallback_reasons"])
    page = report.read_text(encoding="utf-8")
    assert f"Fell back to another grader ({ROWS})" in page and reason.split(" within")[0] in page

    shown = run("grade", source, *options, "--out", tmp_path / "shown.csv")
    text = " ".join(shown.output.split())
    assert shown.exit_code == 5 and f"{ROWS} answers fell back to another grader" in text
    assert "graded by: " in text and "judge " not in text.split("graded by: ")[1].split(" fell back")[0]

    as_errors = run("grade", source, *options, "--out", tmp_path / "errors.csv", "--judge-failure", "error")
    assert as_errors.exit_code == 1, as_errors.output
    errors = rows_of(tmp_path / "errors.csv")
    assert all(row["score"] == "" and "the judge failed" in row["error"] and row["grader"] == "" for row in errors)
    assert all(reason.removeprefix("judge: ") in row["error"] for row in errors)


def test_a_judge_dying_mid_run_gives_separate_means_for_judged_and_fallback_rows(
    server: JudgeServer, item, tmp_path: Path
) -> None:
    answered = 0

    def reply(request: Recorded) -> Reply:
        nonlocal answered
        answered += 1
        if answered == 3:  # the server dies with the third request in flight
            server.die()
        return good_reply(item, score=90)

    server.handle(reply)
    source = write_submissions(tmp_path / "answers.csv", item, 6)
    out = tmp_path / "graded.csv"
    result = run("grade", source, "--grader", "judge", "--judge-base-url", server.url, "--judge-model", "m",
                 "--concurrency", "1", "--judge-timeout", "2", "--out", out, "--json")
    assert result.exit_code == 5, result.output
    rows = rows_of(out)
    assert [row["grader"] for row in rows][:2] == ["judge", "judge"]
    fallbacks = [row for row in rows[2:]]
    assert all(row["grader"] != "judge" and row["fallback_reason"].startswith("judge: ") for row in fallbacks)
    summary = json.loads(result.stdout)
    assert summary["per_grader"]["judge"]["count"] == 2 and summary["fallbacks"] == 4
    judged = [float(row["score"]) for row in rows[:2]]
    assert summary["per_grader"]["judge"]["mean"] == round(sum(judged) / 2, 1)


def test_regrade_says_which_grader_graded_when_the_judge_fails(server: JudgeServer, item, tmp_path: Path) -> None:
    source = write_submissions(tmp_path / "answers.csv", item, 2)
    assert run("grade", source, "--grader", "offline", "--out", tmp_path / "graded.csv").exit_code == 0
    server.queue(error(500, "boom"))
    result = run("regrade", "latest", "--grader", "judge", "--judge-base-url", server.url, "--judge-model", "m")
    text = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "with the judge grader" not in text
    assert "Regraded 2 answers: 2 by the " in text and "fell back: judge: HTTP 500 (2)" in text


@pytest.mark.embedding
def test_progress_moves_from_the_first_rows_and_the_model_load_is_a_step(
    server: JudgeServer, item, tmp_path: Path
) -> None:
    rows, out = 40, tmp_path / "graded.csv"
    written_when_asked: list[int] = []

    def reply(request: Recorded) -> Reply:
        text = out.read_text(encoding="utf-8") if out.exists() else ""
        written_when_asked.append(max(0, text.count("\n") - 1))
        return good_reply(item)

    server.handle(reply)
    source = write_submissions(tmp_path / "answers.csv", item, rows)
    result = run("grade", source, "--grader", "judge", "--judge-base-url", server.url, "--judge-model", "m",
                 "--concurrency", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert len(written_when_asked) == rows
    # Rows reach the output (and the progress display) long before the last answer is judged.
    assert written_when_asked[rows // 2] > 0, written_when_asked
    assert "loading the embedding model..." in result.output
    assert result.output.index("loading the embedding model") < result.output.index("40 rows: 40 graded")


def test_resume_grades_again_the_rows_the_judge_failed_on(server: JudgeServer, item, tmp_path: Path) -> None:
    source = write_submissions(tmp_path / "answers.csv", item, ROWS)
    out = tmp_path / "graded.csv"
    options = ["--grader", "judge", "--judge-base-url", server.url, "--judge-model", "m", "--concurrency", "1",
               "--judge-failure", "error", "--out", out]
    server.queue(error(500, "boom"))
    failed = run("grade", source, *options)
    assert failed.exit_code == 1, failed.output
    assert all("the judge failed" in row["error"] for row in rows_of(out))

    server.queue(good_reply(item))
    resumed = run("grade", source, *options, "--resume", "--json")
    assert resumed.exit_code == 0, resumed.output
    summary = json.loads(resumed.stdout)
    assert (summary["redone"], summary["resumed"], summary["errors"]) == (ROWS, 0, 0)
    rows = rows_of(out)
    assert [row["id"] for row in rows] == [f"a{n}" for n in range(ROWS)]
    assert all(row["grader"] == "judge" and row["error"] == "" and row["score"] for row in rows)
    shown = run("grade", source, *options, "--resume")
    assert shown.exit_code == 0 and "resumed from the earlier run" in " ".join(shown.output.split())
