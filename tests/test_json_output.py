"""`--json` on `practice` and `export`, in real processes against a real store: stdout holds the
JSON alone, so a script can read it while the person sees the session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BANK = Path(__file__).parent / "test_practice_bank"
ZETA = ["--bank", str(BANK), "--topic", "zeta", "--grader", "offline"]
WEAK_ANSWER = "I am not sure, maybe something with computers."


def interviewer(*args: str, typed: list[str] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "interviewer", *args], input="".join(f"{line}\n" for line in typed),
                          capture_output=True, text=True, timeout=120)


def practise_one_of_two() -> dict:
    """Answer the first of two questions, skip its follow-up, quit at the second: the --json summary."""
    done = interviewer("practice", *ZETA, "--level", "beginner", "-n", "2", "--seed", "3", "--json",
                       typed=[WEAK_ANSWER, "", "", "", "/quit"])
    assert done.returncode == 0, done.stderr
    assert "Question 1 of 2" in done.stderr and "Question 2 of 2" in done.stderr  # the session, on stderr
    return json.loads(done.stdout)  # stdout is one JSON document and nothing else


def test_practice_json_prints_the_session_summary_alone_on_stdout():
    summary = practise_one_of_two()
    stored = json.loads(interviewer("review", "latest", "--json").stdout)
    assert summary["session_id"] == stored["session_id"]
    assert (summary["planned"], summary["answered"], summary["remaining"], summary["ungraded"]) == (2, 1, 1, 0)
    assert summary["finished"] is False and summary["interrupted"] is False
    [question] = summary["questions"]
    [turn] = [t for t in stored["turns"] if t["kind"] == "question"]
    assert question["question_id"] == turn["question_id"] == stored["settings"]["plan"][0]
    assert (question["score"], question["verdict"], question["grader"]) == (turn["score"], turn["verdict"], "offline")
    assert question["verdict"] == "weak" and summary["mean_score"] == question["score"]
    assert [f["status"] for f in question["follow_ups"]] == ["skipped"]


def test_practice_json_says_when_nothing_is_due():
    first = interviewer("practice", *ZETA, "--due", "-n", "5", typed=["/skip"] * 3)
    assert first.returncode == 0, first.stderr
    later = interviewer("practice", *ZETA, "--due", "--json")
    assert later.returncode == 0, later.stderr
    answer = json.loads(later.stdout)
    assert answer["session_id"] is None and answer["nothing_due"].startswith("nothing is due for review")


def test_export_json_names_what_was_written_or_prints_the_transcript(tmp_path):
    session = practise_one_of_two()["session_id"]
    target = tmp_path / "session.md"
    written = interviewer("export", "latest", "-o", str(target), "--json")
    assert written.returncode == 0, written.stderr
    report = json.loads(written.stdout)
    assert report == {"session_id": session, "output": str(target.resolve()), "format": "md", "turns": 2}
    assert target.read_text(encoding="utf-8").startswith("#")

    printed = interviewer("export", "latest", "--json")
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == json.loads(interviewer("export", "latest", "--format", "json").stdout)

    clash = interviewer("export", "latest", "--json", "--format", "csv")
    assert clash.returncode == 2 and clash.stdout == ""
    assert "--json without --output prints the transcript as JSON" in " ".join(clash.stderr.split())
