"""The probe benchmark: its answer set matches the shipped bank, and its script grades every row."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from interviewer.bank import Level, load_default_bank

REPO = Path(__file__).resolve().parents[1]
ANSWERS = REPO / "benchmarks" / "probe" / "answers.jsonl"
SCRIPT = REPO / "benchmarks" / "probe" / "run.py"
CORE_KINDS = {"full", "paraphrase", "partial", "fluent_wrong", "negated", "keywords", "off_topic"}


def probe_rows() -> list[dict]:
    return [json.loads(line) for line in ANSWERS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_probe_question_is_shipped_and_has_every_kind_of_answer() -> None:
    bank = load_default_bank()
    kinds: dict[str, set[str]] = defaultdict(set)
    for row in probe_rows():
        assert row["question_id"] in bank, row["id"]
        assert 0 <= row["human_score"] <= 100 and row["reason"].strip() and row["answer"].strip(), row["id"]
        kinds[row["question_id"]].add(row["kind"])
    assert len(kinds) >= 16
    assert {q: CORE_KINDS - k for q, k in kinds.items() if CORE_KINDS - k} == {}
    levels = {bank.get(q).question.level for q in kinds}
    assert levels == set(Level)
    assert {q.split("/")[0] for q in kinds} == {"dl-nlp", "tf"}


def test_the_script_grades_every_row_through_the_cli(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--grader", "offline", "--json", "--home", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["graders"][0]
    rows = probe_rows()
    assert report["grader"] == report["resolved_grader"] == "offline"
    assert report["n"] == len(rows)
    assert sum(kind["n"] for kind in report["kind_means"].values()) == len(rows)
    assert report["ordering"]["questions"] == report["paraphrase"]["questions"] == 16
    assert len(report["worst"]) == 10
    assert set(report["targets"]) >= {"pearson", "keywords_mean", "fluent_wrong_mean", "negated_mean"}


def test_a_bad_answer_file_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "answers.jsonl"
    bad.write_text(json.dumps({"id": "a", "question_id": "dl-nlp/q10-lstm", "kind": "full",
                               "answer": "x", "human_score": 140, "reason": "r"}) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(SCRIPT), "--answers", str(bad), "--grader", "offline"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "line 1: human_score 140" in result.stderr
