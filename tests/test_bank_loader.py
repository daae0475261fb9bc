"""The loader: the shipped banks, selection, pairing rules, and the shipped banks in a built wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from interviewer.bank import Level, load_bank, load_default_bank
from interviewer.bank.loader import BankProblems, default_bank_paths, rubric_path_for
from interviewer.errors import BankError

REPO = Path(__file__).resolve().parents[1]

QUESTIONS = """\
bank: extra
questions:
  - id: extra/q1-gil
    level: intermediate
    topics: [Python, Concurrency]
    prompt: "What is the GIL?"
    reference_answer: "A lock that lets one thread run Python bytecode at a time."
"""
RUBRICS = """\
rubrics:
  - question_id: extra/q1-gil
    concepts: [{label: global interpreter lock, aliases: [GIL]}]
"""


def make_bank(root: Path, questions: str = QUESTIONS, rubrics: str = RUBRICS) -> Path:
    (root / "questions").mkdir(parents=True)
    (root / "rubrics").mkdir()
    (root / "questions" / "extra.yaml").write_text(questions, encoding="utf-8")
    (root / "rubrics" / "extra.yaml").write_text(rubrics, encoding="utf-8")
    return root


def test_shipped_banks_have_every_level_and_a_rubric_for_every_question():
    bank = load_default_bank()
    assert len(bank) == 35
    for level in Level:
        assert bank.select(level=level), level
    for item in bank:
        assert item.rubric.question_id == item.id
        assert item.rubric.concepts and all(concept.label.strip() for concept in item.rubric.concepts)
        assert item.question.reference_answer.strip() and item.question.prompt.strip()
    assert bank.get("dl-nlp/q10-lstm").question.source == "week2-deep-learning-nlp"


def test_select_by_level_and_topics():
    bank = load_default_bank()
    lstm = bank.select(topics=["LSTM "])
    assert lstm and all("lstm" in item.question.topics for item in lstm)
    beginner_lstm = bank.select(level="beginner", topics=["lstm"])
    assert {item.id for item in beginner_lstm} < {item.id for item in lstm}
    assert "lstm" in bank.topics and bank.topics == sorted(bank.topics)
    with pytest.raises(BankError, match="no question with id 'nope/q1'"):
        bank.get("nope/q1")


def test_topics_are_normalised(tmp_path):
    bank = load_bank([make_bank(tmp_path)])
    assert bank.get("extra/q1-gil").question.topics == ["python", "concurrency"]


def test_rubric_pairing_rules(tmp_path):
    assert rubric_path_for(tmp_path / "questions" / "x.yaml") == tmp_path / "rubrics" / "x.yaml"
    assert rubric_path_for(tmp_path / "notes" / "x.yaml") == tmp_path / "notes" / "x.rubric.yaml"


def test_environment_adds_banks_in_order(tmp_path, monkeypatch):
    first, second = make_bank(tmp_path / "a"), tmp_path / "b"
    monkeypatch.setenv("INTERVIEWER_BANKS", os.pathsep.join([str(first), str(second)]))
    paths = default_bank_paths([tmp_path / "c"])
    assert paths[-3:] == [first, second, tmp_path / "c"]
    assert all(path.name.endswith(".yaml") for path in paths[:-3])
    monkeypatch.setenv("INTERVIEWER_BANKS", str(first))
    assert "extra/q1-gil" in load_default_bank()


def test_every_problem_is_raised_together(tmp_path):
    broken = QUESTIONS.replace("level: intermediate", "level: hard").replace('"What is the GIL?"', '""')
    orphan = RUBRICS + "  - question_id: extra/q2-ghost\n    concepts: [{label: x}]\n"
    with pytest.raises(BankProblems) as caught:
        load_bank([make_bank(tmp_path, questions=broken, rubrics=orphan)])
    assert len(caught.value.problems) == 2
    faulty_entry, orphan_rubric = (problem.message for problem in caught.value.problems)
    # one entry, one message holding both of its faults
    assert "questions/extra.yaml, line 3, question extra/q1-gil" in faulty_entry
    assert "unknown level 'hard'" in faulty_entry and "'prompt': must not be empty" in faulty_entry
    assert "rubrics/extra.yaml, line 4" in orphan_rubric and "unknown question 'extra/q2-ghost'" in orphan_rubric
    assert caught.value.message.startswith("2 problems")


def test_the_wheel_carries_the_shipped_banks(tmp_path):
    """A plain (non-editable) install finds the banks inside the package."""
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True, timeout=120,
    )
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        shipped = {name for name in names if name.startswith("interviewer/_shipped/")}
        for folder in ("questions", "rubrics"):
            for stem in ("week2-deep-learning-nlp", "tensorflow-deep-dive"):
                assert f"interviewer/_shipped/{folder}/{stem}.yaml" in shipped
        assert not any(name.startswith("tests/") for name in names)
        archive.extractall(tmp_path / "site")

    check = (
        "import interviewer, interviewer.paths as p; from interviewer.bank import load_default_bank; "
        "print(interviewer.__file__); print(p.shipped_root()); print(len(load_default_bank()))"
    )
    environment = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    environment.pop("INTERVIEWER_BANKS", None)
    ran = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    package_file, shipped_root, count = ran.stdout.split()
    assert Path(package_file).is_relative_to(tmp_path / "site")
    assert Path(shipped_root) == tmp_path / "site" / "interviewer" / "_shipped"
    assert count == "35"
