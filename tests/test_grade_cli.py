"""`interviewer grade` through the real CLI: files in, files out, the store, the report."""

from __future__ import annotations

import csv
import json
import random
import re
import sqlite3
import statistics
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.cli import app
from interviewer.grading.models import verdict_for

OUTPUT_HEADER = ["id", "candidate", "question_id", "score", "verdict", "covered", "missing", "feedback",
                 "needs_review", "grader", "fallback_reason", "error"]

BANK_QUESTIONS = """\
bank: batchtest
title: Batch test bank
questions:
  - id: bt/dropout
    level: beginner
    topics: [regularization]
    prompt: What is dropout and why does it help?
    reference_answer: Dropout randomly zeroes activations during training. It prevents co-adaptation of neurons and reduces overfitting. At inference all units are used and scaled.
  - id: bt/attention
    level: intermediate
    topics: [transformers]
    prompt: What does self-attention compute?
    reference_answer: Self-attention compares queries with keys to get attention weights with a softmax. The output is a weighted sum of the values. Scaling by the square root of the key dimension keeps the softmax stable.
"""

BANK_RUBRICS = """\
bank: batchtest
rubrics:
  - question_id: bt/dropout
    concepts:
      - {label: randomly zeroes activations, aliases: [drops units, random neurons]}
      - {label: reduces overfitting, aliases: [regularization, regularisation]}
      - {label: scaled at inference, aliases: [rescaled, inference scaling]}
  - question_id: bt/attention
    concepts:
      - {label: queries and keys, aliases: [query key]}
      - {label: softmax weights, aliases: [softmax]}
      - {label: weighted sum of values, aliases: [weighted sum]}
"""

GOOD = {
    "bt/dropout": "Dropout randomly zeroes activations in training, which reduces overfitting; at inference the units are scaled.",
    "bt/attention": "It compares queries and keys, turns the scores into softmax weights and outputs a weighted sum of values.",
}
SENTENCES = [
    "Dropout randomly zeroes activations during training.",
    "It reduces overfitting like a regularization method.",
    "At inference the weights are rescaled.",
    "Self-attention compares queries with keys.",
    "A softmax turns the scores into weights.",
    "The output is a weighted sum of the values.",
    "I think it is about gradient descent.",
    "Convolutions share weights across positions.",
]


def write_bank(folder: Path) -> Path:
    (folder / "questions").mkdir(parents=True, exist_ok=True)
    (folder / "rubrics").mkdir(exist_ok=True)
    (folder / "questions" / "batchtest.yaml").write_text(BANK_QUESTIONS, encoding="utf-8")
    (folder / "rubrics" / "batchtest.yaml").write_text(BANK_RUBRICS, encoding="utf-8")
    return folder


def write_many(path: Path, rows: int, seed: int = 3) -> None:
    """ROWS varied submissions for the test bank (CSV or JSONL by extension)."""
    rng = random.Random(seed)
    records = []
    for n in range(rows):
        answer = " ".join(rng.sample(SENTENCES, k=rng.randint(1, 4)))
        records.append({"id": f"r{n}", "candidate": f"c{n % 7}", "question_id": rng.choice(list(GOOD)),
                        "answer": answer})
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(records[0]))
            writer.writeheader()
            writer.writerows(records)


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    return write_bank(tmp_path / "bank")


def grade(*args: object) -> object:
    return CliRunner().invoke(app, ["grade", *map(str, args)])


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == OUTPUT_HEADER
        return list(reader)


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def store(home: Path) -> sqlite3.Connection:
    db = sqlite3.connect(home / "interviewer.db")
    db.row_factory = sqlite3.Row
    return db


def test_csv_default_output_order_errors_and_exit_code(tmp_path: Path, bank: Path) -> None:
    source = write_csv(tmp_path / "subs.csv", ["id", "candidate", "question_id", "answer", "comment"], [
        ["a", "ann", "bt/dropout", GOOD["bt/dropout"], "extra columns are fine"],
        ["b", "bob", "bt/unknown", "Some answer", ""],
        ["c", "ann", "bt/attention", GOOD["bt/attention"], ""],
        ["d", "bob", "bt/dropout", "   ", ""],
        ["e", "cyd", "bt/dropout", "x" * 20_001, ""],
        ["f", "cyd", "bt/attention", "I think it is about gradient descent.", ""],
    ])
    result = grade(source, "--grader", "offline", "--bank", bank)
    assert result.exit_code == 1, result.output
    rows = read_csv(tmp_path / "subs.graded.csv")
    assert [row["id"] for row in rows] == ["a", "b", "c", "d", "e", "f"]
    by_id = {row["id"]: row for row in rows}
    for key in "acf":
        row = by_id[key]
        assert row["error"] == "" and row["grader"] == "offline"
        assert row["verdict"] == verdict_for(float(row["score"])).value
    assert float(by_id["a"]["score"]) > float(by_id["f"]["score"])
    assert "randomly zeroes activations" in by_id["a"]["covered"]
    assert "queries and keys" in by_id["f"]["missing"]
    assert "unknown question id 'bt/unknown'" in by_id["b"]["error"] and by_id["b"]["score"] == ""
    assert by_id["d"]["error"] == "line 5: empty answer"
    assert "answer too long" in by_id["e"]["error"]
    assert "6 rows: 3 graded, 3 errors" in result.output


def test_all_rows_graded_exit_zero_jsonl_with_mapping(tmp_path: Path, bank: Path) -> None:
    source = tmp_path / "subs.jsonl"
    source.write_text(
        json.dumps({"qid": "bt/dropout", "response": GOOD["bt/dropout"], "who": "ann"}) + "\n\n"
        + json.dumps({"qid": "bt/attention", "response": GOOD["bt/attention"], "who": "bob", "x": [1]}) + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "graded.jsonl"
    result = grade(source, "--grader", "offline", "--bank", bank, "--out", out,
                   "--column", "answer=response", "--column", "question_id=qid", "-c", "candidate=who")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [list(row) for row in rows] == [OUTPUT_HEADER] * 2
    assert [(r["id"], r["candidate"], r["question_id"]) for r in rows] == [
        ("1", "ann", "bt/dropout"), ("2", "bob", "bt/attention")]
    assert all(isinstance(r["score"], float) and r["error"] is None for r in rows)


def test_format_option_names_default_output(tmp_path: Path, bank: Path) -> None:
    source = write_csv(tmp_path / "subs.csv", ["question_id", "answer"], [["bt/dropout", GOOD["bt/dropout"]]])
    result = grade(source, "--grader", "offline", "--bank", bank, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in (tmp_path / "subs.graded.jsonl").read_text().splitlines()]
    assert row["id"] == "1" and row["score"] > 50


def test_every_bad_row_kind_in_jsonl(tmp_path: Path, bank: Path) -> None:
    source = tmp_path / "subs.jsonl"
    source.write_text("\n".join([
        json.dumps({"id": "ok", "question_id": "bt/dropout", "answer": GOOD["bt/dropout"], "extra": "fine"}),
        json.dumps({"id": "unknown", "question_id": "zz/nope", "answer": "text"}),
        json.dumps({"id": "empty", "question_id": "bt/dropout", "answer": ""}),
        json.dumps({"id": "long", "question_id": "bt/dropout", "answer": "word " * 5000}),
        '{"id": "broken", "question_id": ',
        json.dumps({"id": "noanswer", "question_id": "bt/dropout"}),
        json.dumps({"id": "noquestion", "answer": "text"}),
        json.dumps({"id": "last", "question_id": "bt/attention", "answer": GOOD["bt/attention"]}),
    ]) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = grade(source, "--grader", "offline", "--bank", bank, "--out", out)
    assert result.exit_code == 1, result.output
    rows = read_csv(out)
    errors = {row["id"]: row["error"] for row in rows}
    assert [row["id"] for row in rows] == ["ok", "unknown", "empty", "long", "5", "noanswer", "noquestion", "last"]
    assert errors["ok"] == "" and errors["last"] == ""
    assert "unknown question id 'zz/nope'" in errors["unknown"]
    assert errors["empty"] == "line 3: empty answer"
    assert errors["long"] == "line 4: answer too long (25,000 characters; the limit is 20,000)"
    assert errors["5"].startswith("line 5: bad JSON")
    assert errors["noanswer"] == "line 6: missing field 'answer'"
    assert errors["noquestion"].startswith("line 7: missing field 'question_id'")


def test_bom_file_is_fine(tmp_path: Path, bank: Path) -> None:
    source = tmp_path / "subs.csv"
    source.write_bytes(b"\xef\xbb\xbfid,question_id,answer\r\nx,bt/dropout,Dropout reduces overfitting.\r\n")
    result = grade(source, "--grader", "offline", "--bank", bank)
    assert result.exit_code == 0, result.output
    assert read_csv(tmp_path / "subs.graded.csv")[0]["id"] == "x"


def test_latin1_file_is_a_clear_error(tmp_path: Path, bank: Path) -> None:
    source = write_csv(tmp_path / "subs.csv", ["question_id", "answer"],
                       [["bt/dropout", "ok"], ["bt/dropout", "Le dropout réduit le surapprentissage"]],
                       encoding="latin-1")
    result = grade(source, "--grader", "offline", "--bank", bank)
    assert result.exit_code == 2
    assert "subs.csv: not UTF-8 text (byte 0xe9" in result.output and "line 3" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "subs.graded.csv").exists()


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("question_id,response\nbt/dropout,x\n", "no answer column"),
    ("", "the file is empty"),
])
def test_unusable_input_exit_2(tmp_path: Path, bank: Path, content: str | None, message: str) -> None:
    source = tmp_path / "subs.csv"
    if content is not None:
        source.write_text(content)
    result = grade(source, "--grader", "offline", "--bank", bank)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_json_summary_matches_output(tmp_path: Path, bank: Path) -> None:
    source = tmp_path / "subs.csv"
    write_many(source, 60)
    with source.open("a", encoding="utf-8") as handle:
        handle.write("bad,c0,bt/nope,anything\n")
    result = grade(source, "--grader", "offline", "--bank", bank, "--json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    rows = read_csv(tmp_path / "subs.graded.csv")
    graded = [row for row in rows if not row["error"]]
    scores = [float(row["score"]) for row in graded]
    assert (summary["rows"], summary["graded"], summary["errors"]) == (61, 60, 1)
    assert summary["needs_review"] == sum(row["needs_review"] == "true" for row in rows)
    assert summary["score"]["mean"] == pytest.approx(statistics.mean(scores), abs=0.051)
    assert summary["score"]["median"] == pytest.approx(statistics.median(scores), abs=1e-6)
    assert sum(bin_["count"] for bin_ in summary["histogram"]) == 60
    for qid, stats in summary["per_question"].items():
        own = [float(r["score"]) for r in graded if r["question_id"] == qid]
        assert stats["count"] == len(own)
        assert stats["median"] == pytest.approx(statistics.median(own), abs=1e-6)
    c3 = [float(r["score"]) for r in graded if r["candidate"] == "c3"]
    assert summary["per_candidate"]["c3"]["mean"] == pytest.approx(statistics.mean(c3), abs=0.051)
    assert summary["error_rows"] == [{"id": "bad", "error": rows[-1]["error"]}]
    assert summary["exit_code"] == 1 and summary["grader"] == "offline"


def test_html_report_is_self_contained_and_escaped(tmp_path: Path, bank: Path) -> None:
    answers = [
        '<script>alert("x")</script> Dropout reduces overfitting & helps',
        'See <a href="https://evil.example/">this</a> or <img src="http://x/y.png">: softmax weights',
        "Plain answer about queries and keys",
    ]
    source = write_csv(tmp_path / "subs.csv", ["id", "candidate", "question_id", "answer"], [
        ["r1", "<b>ann</b>", "bt/dropout", answers[0]],
        ["r2", "bob", "bt/attention", answers[1]],
        ["r3", "bob", "bt/missing", answers[2]],
    ])
    report = tmp_path / "report.html"
    result = grade(source, "--grader", "offline", "--bank", bank, "--report", report)
    assert result.exit_code == 1
    page = report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<link" not in page.lower()
    from html import escape

    for answer in answers:
        assert escape(answer) in page
    assert "&lt;b&gt;ann&lt;/b&gt;" in page
    assert "unknown question id" in page
    assert "randomly zeroes activations" in page  # concept table
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_inline_questions_with_keywords_or_derived_rubric(tmp_path: Path, bank: Path) -> None:
    source = write_csv(tmp_path / "subs.csv", ["id", "question", "reference_answer", "keywords", "answer"], [
        ["k", "What is a learning rate?", "The learning rate scales each gradient step size.",
         "step size; gradient, divergence", "It scales the gradient step size; too large and training diverges."],
        ["d", "What is a learning rate?", "The learning rate scales each gradient step size.", "",
         "The learning rate scales the gradient step."],
    ])
    result = grade(source, "--grader", "offline", "--json")
    assert result.exit_code == 0, result.output
    rows = read_csv(tmp_path / "subs.graded.csv")
    assert rows[0]["question_id"].startswith("inline/")
    concepts = {label.strip().removesuffix(" (partly)") for field in ("covered", "missing")
                for label in rows[0][field].split(";") if label.strip()}
    assert concepts == {"step size", "gradient", "divergence"}
    assert rows[1]["score"] and (rows[1]["covered"] or rows[1]["missing"])


def test_run_is_recorded_as_one_batch_session(tmp_path: Path, bank: Path, interviewer_home: Path) -> None:
    source = tmp_path / "subs.csv"
    write_many(source, 40)
    with source.open("a", encoding="utf-8") as handle:
        handle.write("bad,c0,bt/nope,anything\n")
    assert grade(source, "--grader", "offline", "--bank", bank).exit_code == 1
    db = store(interviewer_home)
    (session,) = db.execute("SELECT * FROM sessions").fetchall()
    assert session["kind"] == "batch" and session["grader"] == "offline"
    assert session["source"] == str(source.resolve()) and session["finished_at"]
    turns = db.execute("SELECT * FROM turns WHERE session_id = ? ORDER BY position", (session["id"],)).fetchall()
    assert len(turns) == 40
    assert [t["position"] for t in turns] == list(range(40))
    assert {t["kind"] for t in turns} == {"submission"}
    scores = [row["score"] for row in db.execute(
        "SELECT g.score FROM grades g JOIN turns t ON t.id = g.turn_id ORDER BY t.position")]
    assert [round(s, 1) for s in scores] == [float(r["score"]) for r in read_csv(tmp_path / "subs.graded.csv")[:40]]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_resume_after_a_cut_output_gives_the_same_file(
    tmp_path: Path, bank: Path, interviewer_home: Path, suffix: str
) -> None:
    source = tmp_path / "subs.csv"
    write_many(source, 700)
    full, out = tmp_path / f"full{suffix}", tmp_path / f"out{suffix}"
    assert grade(source, "--grader", "offline", "--bank", bank, "--out", full).exit_code == 0
    # What an interrupted run leaves: some complete rows and half a row.
    assert grade(source, "--grader", "offline", "--bank", bank, "--out", out).exit_code == 0
    data = out.read_bytes()
    cut = data.index(b"\n", len(data) // 3) + 20
    out.write_bytes(data[:cut])
    result = grade(source, "--grader", "offline", "--bank", bank, "--out", out, "--resume", "--json")
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == full.read_bytes()
    summary = json.loads(result.stdout)
    assert summary["rows"] == 700 and 0 < summary["resumed"] < 700
    db = store(interviewer_home)
    sessions = db.execute("SELECT id FROM sessions WHERE settings LIKE ?", (f"%{out.name}%",)).fetchall()
    assert len(sessions) == 1
    positions = [r[0] for r in db.execute(
        "SELECT position FROM turns WHERE session_id = ? ORDER BY position", (sessions[0]["id"],))]
    assert positions == list(range(700))


def test_resume_refuses_when_the_submissions_changed(tmp_path: Path, bank: Path) -> None:
    source = tmp_path / "subs.csv"
    write_many(source, 30, seed=1)
    out = tmp_path / "out.csv"
    assert grade(source, "--grader", "offline", "--bank", bank, "--out", out).exit_code == 0
    before = out.read_bytes()
    source.write_text(source.read_text().replace("r0,", "zz,", 1))
    result = grade(source, "--grader", "offline", "--bank", bank, "--out", out, "--resume")
    assert result.exit_code == 2
    assert "the submissions changed" in result.output
    assert out.read_bytes() == before


def test_resume_of_a_complete_run_changes_nothing(tmp_path: Path, bank: Path, interviewer_home: Path) -> None:
    source = tmp_path / "subs.csv"
    write_many(source, 20)
    report = tmp_path / "r.html"
    assert grade(source, "--grader", "offline", "--bank", bank).exit_code == 0
    out = tmp_path / "subs.graded.csv"
    before = out.read_bytes()
    result = grade(source, "--grader", "offline", "--bank", bank, "--resume", "--report", report, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["resumed"] == 20
    assert out.read_bytes() == before
    assert store(interviewer_home).execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 20
    assert "randomly zeroes activations" in report.read_text()  # details come back from the store


@pytest.mark.embedding
def test_embedding_grader_batch(tmp_path: Path, bank: Path) -> None:
    source = write_csv(tmp_path / "subs.csv", ["id", "question_id", "answer"], [
        ["good", "bt/dropout", GOOD["bt/dropout"]],
        ["off", "bt/dropout", "Convolutions share weights across positions."],
        ["bad", "bt/none", "anything"],
    ])
    result = grade(source, "--grader", "embedding", "--bank", bank, "--json")
    assert result.exit_code == 1, result.output
    rows = {row["id"]: row for row in read_csv(tmp_path / "subs.graded.csv")}
    assert rows["good"]["grader"] == rows["off"]["grader"] == "embedding"
    assert float(rows["good"]["score"]) > float(rows["off"]["score"]) + 20
    assert rows["bad"]["error"]


def test_worker_processes_give_the_same_file_as_one_process(tmp_path: Path, bank: Path) -> None:
    source = tmp_path / "many.csv"
    write_many(source, 1200, seed=5)  # several chunks of 256: the offline grader spreads them over processes
    with source.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(["bad", "c1", "nope/q9-unknown", "an answer to no question"])
    outputs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"graded-{workers}.csv"
        result = grade(source, "--bank", bank, "--grader", "offline", "--workers", workers, "--out", out, "--json")
        assert result.exit_code == 1, result.output  # the unknown question id
        summary = json.loads(result.output)
        assert summary["rows"] == 1201 and summary["graded"] == 1200 and summary["errors"] == 1
        outputs[workers] = out.read_bytes()
    assert outputs["1"] == outputs["2"]
    rows = read_csv(tmp_path / "graded-2.csv")
    assert [row["id"] for row in rows] == [f"r{n}" for n in range(1200)] + ["bad"]
    assert "unknown question id 'nope/q9-unknown'" in rows[-1]["error"]


def _without_fallback_reason(path: Path) -> None:
    """Rewrite a fresh output as a version before the fallback_reason column wrote it."""
    if path.suffix == ".csv":
        rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
        drop = rows[0].index("fallback_reason")
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows([c for k, c in enumerate(row) if k != drop] for row in rows)
    else:
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "fallback_reason"}) + "\n"
                                for r in records), encoding="utf-8")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_resume_of_an_output_written_before_fallback_reason_fills_the_column(
    tmp_path: Path, bank: Path, suffix: str
) -> None:
    source = tmp_path / "subs.csv"
    write_many(source, 60, seed=2)
    full, out = tmp_path / f"full{suffix}", tmp_path / f"out{suffix}"
    assert grade(source, "--grader", "offline", "--bank", bank, "--out", full).exit_code == 0
    assert grade(source, "--grader", "offline", "--bank", bank, "--out", out).exit_code == 0
    _without_fallback_reason(out)
    data = out.read_bytes()
    out.write_bytes(data[: data.index(b"\n", len(data) // 2) + 1])  # an earlier run stopped halfway
    result = grade(source, "--grader", "offline", "--bank", bank, "--out", out, "--resume", "--json")
    assert result.exit_code == 0, result.output
    assert 0 < json.loads(result.stdout)["resumed"] < 60
    assert out.read_bytes() == full.read_bytes()  # today's columns, every row, the column filled
    assert not list(tmp_path.glob("*.upgrade"))
