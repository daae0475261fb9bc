"""The loader: the shipped banks, selection and pairing rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from interviewer.bank import Level, load_bank, load_default_bank
from interviewer.bank.loader import BankProblems, default_bank_paths, rubric_path_for
from interviewer.errors import BankError

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


def test_a_rubric_concept_keeps_its_authored_follow_up(tmp_path):
    rubrics = RUBRICS.replace("aliases: [GIL]}", 'aliases: [GIL], follow_up: "Why can two Python threads not run bytecode at once?"}')
    bank = load_bank([make_bank(tmp_path / "bank", rubrics=rubrics)])
    assert bank.get("extra/q1-gil").rubric.concepts[0].follow_up == "Why can two Python threads not run bytecode at once?"
    plain = load_bank([make_bank(tmp_path / "plain")])
    assert plain.get("extra/q1-gil").rubric.concepts[0].follow_up == ""
    shipped = load_default_bank().get("tf/q5-class-imbalance-impact").rubric.concepts
    assert next(c for c in shipped if c.label == "One class outnumbers another").follow_up.startswith(
        "What does an imbalanced dataset look like?")
