"""The bank commands as a user runs them: list, show, validate, and every kind of bad bank file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.cli import app
from interviewer.cli.render import console

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
runner = CliRunner()

QUESTIONS = """\
bank: mini
questions:
  - id: mini/q1-dropout
    level: beginner
    topics: [regularization]
    prompt: "What does dropout do?"
    reference_answer: "It randomly zeroes activations during training."
  - id: mini/q2-attention
    level: advanced
    topics: [transformers]
    prompt: "What is self-attention?"
    hint: "Queries, keys and values."
    reference_answer: "Every token attends to every other token."
"""

RUBRICS = """\
bank: mini
rubrics:
  - question_id: mini/q1-dropout
    concepts:
      - {label: random zeroing, aliases: [drops units]}
  - question_id: mini/q2-attention
    concepts:
      - {label: queries keys values, weight: 2, required: true}
    misconceptions:
      - {statement: "attention is recurrence", explanation: "it has no recurrence"}
"""


def write_bank(root: Path, questions: str = QUESTIONS, rubrics: str | None = RUBRICS, name: str = "mini") -> Path:
    (root / "questions").mkdir(parents=True, exist_ok=True)
    (root / "questions" / f"{name}.yaml").write_text(textwrap.dedent(questions), encoding="utf-8")
    if rubrics is not None:
        (root / "rubrics").mkdir(parents=True, exist_ok=True)
        (root / "rubrics" / f"{name}.yaml").write_text(textwrap.dedent(rubrics), encoding="utf-8")
    return root


def invoke(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


def list_json(*args: str, env: dict[str, str] | None = None) -> list[dict]:
    result = invoke("bank", "list", "--json", *args, env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_bad(result, *fragments: str) -> None:
    """Exit code 2, one readable message holding every fragment, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    for fragment in fragments:
        assert fragment in result.output, f"{fragment!r} not in:\n{result.output}"


@pytest.fixture
def wide_console(monkeypatch):
    """Tables at 80 columns wrap labels over lines; a wide console keeps them whole."""
    monkeypatch.setattr(console, "width", 200)


@pytest.fixture
def imported_bank(tmp_path) -> Path:
    out = tmp_path / "mybank"
    result = invoke("bank", "import", str(SEEDS / "tensorflow-deep-dive.md"), "--out", str(out), "--name", "mine")
    assert result.exit_code == 0, result.output
    return out


# --- the shipped banks -----------------------------------------------------------------------


def test_shipped_banks_list_35_questions_with_unique_ids_and_every_level():
    questions = list_json()
    assert len(questions) == 35
    ids = [question["id"] for question in questions]
    assert len(set(ids)) == len(ids)
    assert {question["level"] for question in questions} == {"beginner", "intermediate", "advanced"}
    assert sum(question["id"].startswith("dl-nlp/") for question in questions) == 25
    assert sum(question["id"].startswith("tf/") for question in questions) == 10
    assert all(question["concepts"] and question["prompt"].strip() for question in questions)
    assert set(questions[0]) == {"id", "level", "topics", "prompt", "source", "hint", "concepts"}


def test_shipped_banks_validate_cleanly_with_a_summary():
    result = invoke("bank", "validate")
    assert result.exit_code == 0, result.output
    assert "35 questions" in result.stdout and "35 rubrics" in result.stdout
    summary = json.loads(invoke("bank", "validate", "--json").stdout)
    assert summary["ok"] is True and summary["problems"] == []
    assert summary["questions"] == 35
    assert all(count > 0 for count in summary["levels"].values())
    assert sum(summary["levels"].values()) == 35


def test_show_prints_prompt_answer_and_rubric(wide_console):
    result = invoke("bank", "show", "dl-nlp/q10-lstm")
    assert result.exit_code == 0, result.output
    assert "What is an LSTM and how does it solve the vanishing gradient problem?" in result.stdout
    for label in ("Gates", "Cell State", "Long-term Memory", "Forget Gate", "Input Gate"):
        assert label in result.stdout
    assert "Reference answer" in result.stdout and "Rubric" in result.stdout


def test_show_keeps_code_blocks_of_the_reference_answer(wide_console):
    result = invoke("bank", "show", "dl-nlp/q11-variable-length")
    assert result.exit_code == 0, result.output
    assert "padded = pad_sequences(sequences, maxlen=100, padding='post')" in result.stdout
    assert "```" not in result.stdout  # rendered as a code block, not raw Markdown


def test_show_json_has_the_question_and_its_full_rubric():
    data = json.loads(invoke("bank", "show", "tf/q1-tf-vs-pytorch", "--json").stdout)
    assert data["prompt"] == "When would you prefer TensorFlow over PyTorch?"
    assert data["rubric"]["question_id"] == "tf/q1-tf-vs-pytorch"
    assert data["rubric"]["concepts"][0]["label"]
    assert {"aliases", "weight", "required", "description"} <= set(data["rubric"]["concepts"][0])


def test_show_unknown_id_suggests_the_full_id():
    assert_bad(invoke("bank", "show", "q10-lstm"), "no question with id 'q10-lstm'", "dl-nlp/q10-lstm")
    assert_bad(invoke("bank", "show", "nothing/like-this"), "no question with id", "bank list")


def test_level_and_topic_filter_the_list():
    everything = list_json()
    advanced = list_json("--level", "advanced")
    assert advanced and all(question["level"] == "advanced" for question in advanced)
    assert len(advanced) == sum(question["level"] == "advanced" for question in everything)

    lstm = list_json("--topic", "lstm")
    assert lstm and all("lstm" in question["topics"] for question in lstm)
    assert "dl-nlp/q10-lstm" in {question["id"] for question in lstm}

    either = list_json("--topic", "lstm", "--topic", "pytorch")
    assert {q["id"] for q in either} == {q["id"] for q in everything if {"lstm", "pytorch"} & set(q["topics"])}
    both_filters = list_json("--topic", "LSTM", "--level", "beginner")
    assert both_filters and all(q["level"] == "beginner" and "lstm" in q["topics"] for q in both_filters)


def test_unknown_topic_or_level_is_refused():
    assert_bad(invoke("bank", "list", "--topic", "cooking"), "unknown topic 'cooking'", "lstm")
    result = invoke("bank", "list", "--level", "expert")
    assert result.exit_code == 2 and "expert" in result.output


def test_table_lists_ids_levels_and_prompts(wide_console):
    result = invoke("bank", "list", "--level", "beginner", "--topic", "lstm")
    assert result.exit_code == 0, result.output
    assert "dl-nlp/q10-lstm" in result.stdout and "beginner" in result.stdout
    assert "What is an LSTM" in result.stdout
    assert "of 35 questions" in result.stdout


def test_bank_option_and_environment_add_a_users_bank(imported_bank, tmp_path):
    with_option = list_json("--bank", str(imported_bank))
    assert len(with_option) == 45
    mine = [question for question in with_option if question["id"].startswith("mine/")]
    assert len(mine) == 10 and mine[0]["source"] == "mine"

    from_env = list_json(env={"INTERVIEWER_BANKS": str(imported_bank)})
    assert [q["id"] for q in from_env] == [q["id"] for q in with_option]

    # the same bank named twice is loaded once, not reported as duplicate ids
    twice = list_json("--bank", str(imported_bank), env={"INTERVIEWER_BANKS": str(imported_bank)})
    assert len(twice) == 45

    validated = invoke("bank", "validate", env={"INTERVIEWER_BANKS": str(imported_bank)})
    assert validated.exit_code == 0 and "45 questions" in validated.stdout


def test_a_broken_user_bank_stops_list_with_the_reason(tmp_path):
    bank = write_bank(tmp_path / "b", questions=QUESTIONS.replace("level: advanced", "level: expert"))
    assert_bad(invoke("bank", "list", "--bank", str(bank)), "mini.yaml", "unknown level 'expert'")
    assert_bad(invoke("bank", "list", "--bank", str(tmp_path / "missing")), "missing", "no such file or folder")


# --- one test per kind of bad input ---------------------------------------------------------


def test_valid_small_bank_passes(tmp_path):
    bank = write_bank(tmp_path)
    result = invoke("bank", "validate", str(bank))
    assert result.exit_code == 0, result.output
    assert "2 questions" in result.stdout and "1 beginner" in result.stdout and "1 advanced" in result.stdout


def test_malformed_yaml_names_file_and_line(tmp_path):
    bank = write_bank(tmp_path, questions=QUESTIONS.replace("topics: [transformers]", "topics: [transformers"))
    assert_bad(invoke("bank", "validate", str(bank)), "questions/mini.yaml", "malformed YAML",
               "flow sequence that starts on line 10")


def test_tab_indentation_is_explained(tmp_path):
    bank = write_bank(tmp_path, questions=QUESTIONS.replace("  - id: mini/q2-attention", "\t- id: mini/q2-attention"))
    assert_bad(invoke("bank", "validate", str(bank)), "mini.yaml", "line 8", "malformed YAML", "tabs")


def test_duplicate_key_is_reported(tmp_path):
    bank = write_bank(tmp_path, questions=QUESTIONS.replace(
        '    prompt: "What does dropout do?"\n', '    prompt: "What does dropout do?"\n    prompt: "Again?"\n'
    ))
    assert_bad(invoke("bank", "validate", str(bank)), "mini.yaml", "line 7", "duplicate key 'prompt'")


def test_missing_field(tmp_path):
    bank = write_bank(tmp_path, questions=QUESTIONS.replace('    prompt: "What is self-attention?"\n', ""))
    assert_bad(invoke("bank", "validate", str(bank)), "questions/mini.yaml", "line 8", "question mini/q2-attention",
               "missing field 'prompt'")


def test_unknown_level(tmp_path):
    bank = write_bank(tmp_path, questions=QUESTIONS.replace("level: advanced", "level: expert"))
    assert_bad(invoke("bank", "validate", str(bank)), "mini.yaml", "line 8", "mini/q2-attention",
               "unknown level 'expert'", "beginner, intermediate, advanced")


def test_duplicate_id_in_one_file_and_across_files(tmp_path):
    bank = write_bank(tmp_path, questions=QUESTIONS.replace("mini/q2-attention", "mini/q1-dropout"))
    result = invoke("bank", "validate", str(bank))
    assert_bad(result, "mini.yaml, line 8", "duplicate question id 'mini/q1-dropout'", "line 3")

    other = write_bank(tmp_path / "other", name="copy")
    assert_bad(invoke("bank", "validate", str(tmp_path / "questions" / "mini.yaml"), str(other)),
               "duplicate question id 'mini/q1-dropout'", "copy.yaml", "already defined at")


def test_empty_prompt(tmp_path):
    bank = write_bank(tmp_path, questions=QUESTIONS.replace('"What does dropout do?"', '"   "'))
    assert_bad(invoke("bank", "validate", str(bank)), "mini.yaml", "line 3", "question mini/q1-dropout",
               "field 'prompt': must not be empty")


def test_bad_id(tmp_path):
    bank = write_bank(tmp_path, questions=QUESTIONS.replace("id: mini/q1-dropout", "id: Mini Q1"))
    assert_bad(invoke("bank", "validate", str(bank)), "line 3", "id 'Mini Q1' is not a valid question id")


def test_not_utf8(tmp_path):
    bank = write_bank(tmp_path)
    (bank / "questions" / "mini.yaml").write_bytes("prompt: caf\u00e9".encode("latin-1"))
    assert_bad(invoke("bank", "validate", str(bank)), "mini.yaml", "not UTF-8")


def test_missing_path(tmp_path):
    assert_bad(invoke("bank", "validate", str(tmp_path / "nope.yaml")), "nope.yaml", "no such file or folder")


def test_a_folder_where_a_file_should_be(tmp_path):
    write_bank(tmp_path)
    (tmp_path / "questions" / "broken.yaml").mkdir()
    assert_bad(invoke("bank", "validate", str(tmp_path / "questions" / "broken.yaml")), "broken.yaml",
               "no question files")
    result = invoke("bank", "validate", str(tmp_path))
    assert_bad(result, "broken.yaml", "cannot read file")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_permission_denied(tmp_path):
    bank = write_bank(tmp_path)
    target = bank / "questions" / "mini.yaml"
    target.chmod(0)
    try:
        assert_bad(invoke("bank", "validate", str(bank)), "mini.yaml", "cannot read file", "ermission denied")
    finally:
        target.chmod(0o644)


def test_rubric_for_unknown_question(tmp_path):
    bank = write_bank(tmp_path, rubrics=RUBRICS + "  - question_id: mini/q9-ghost\n    concepts: [{label: x}]\n")
    assert_bad(invoke("bank", "validate", str(bank)), "rubrics/mini.yaml", "line 11", "rubric for mini/q9-ghost",
               "rubric names unknown question 'mini/q9-ghost'")


def test_rubric_with_unknown_concept_field(tmp_path):
    bank = write_bank(tmp_path, rubrics=RUBRICS.replace("weight: 2", "weigth: 2"))
    result = invoke("bank", "validate", str(bank))
    assert_bad(result, "rubrics/mini.yaml", "line 8", "rubric for mini/q2-attention", "concept 'queries keys values'",
               "unknown field 'weigth'", "allowed: label, aliases, description, restatements, weight, required")
    # the faulty rubric is reported once, not again as a missing one
    assert "has no rubric" not in result.output


def test_a_concept_can_carry_its_own_follow_up_question(tmp_path, wide_console):
    asked = "Which units are zeroed, and when?"
    bank = write_bank(tmp_path, rubrics=RUBRICS.replace("aliases: [drops units]}",
                                                        f'aliases: [drops units], follow_up: "{asked}"}}'))
    assert invoke("bank", "validate", str(bank)).exit_code == 0
    shown = invoke("bank", "show", "mini/q1-dropout", "--bank", str(bank))
    assert shown.exit_code == 0, shown.output
    assert f"follow-up: {asked}" in shown.stdout
    data = json.loads(invoke("bank", "show", "mini/q1-dropout", "--bank", str(bank), "--json").stdout)
    assert data["rubric"]["concepts"][0]["follow_up"] == asked


def test_a_follow_up_that_is_not_a_question_is_refused_at_its_line(tmp_path):
    bank = write_bank(tmp_path, rubrics=RUBRICS.replace("aliases: [drops units]}",
                                                        'aliases: [drops units], follow_up: "Explain it."}'))
    assert_bad(invoke("bank", "validate", str(bank)), "rubrics/mini.yaml", "line 5", "concept 'random zeroing'",
               "field 'follow_up': must be a question, ending with '?'")


def test_question_without_rubric(tmp_path):
    rubrics = RUBRICS.split("  - question_id: mini/q2-attention")[0]
    bank = write_bank(tmp_path, rubrics=rubrics)
    assert_bad(invoke("bank", "validate", str(bank)), "questions/mini.yaml", "line 8", "question mini/q2-attention",
               "has no rubric", "rubrics/mini.yaml")


def test_missing_rubric_file_is_one_message(tmp_path):
    bank = write_bank(tmp_path, rubrics=None)
    result = invoke("bank", "validate", str(bank))
    assert_bad(result, "questions/mini.yaml", "no rubric file", "rubrics/mini.yaml")
    assert "1 problem" in result.output


def test_rubric_without_concepts(tmp_path):
    bank = write_bank(tmp_path, rubrics=RUBRICS.replace(
        "    concepts:\n      - {label: random zeroing, aliases: [drops units]}", "    concepts: []"))
    assert_bad(invoke("bank", "validate", str(bank)), "rubric for mini/q1-dropout", "at least one concept")


def test_loose_question_file_pairs_with_rubric_beside_it(tmp_path):
    (tmp_path / "loose.yaml").write_text(QUESTIONS, encoding="utf-8")
    assert_bad(invoke("bank", "validate", str(tmp_path / "loose.yaml")), "loose.rubric.yaml")
    (tmp_path / "loose.rubric.yaml").write_text(RUBRICS, encoding="utf-8")
    assert invoke("bank", "validate", str(tmp_path / "loose.yaml")).exit_code == 0
    assert len(list_json("--bank", str(tmp_path / "loose.yaml"))) == 37


def test_validate_lists_every_problem_one_per_line(tmp_path):
    bank = write_bank(
        tmp_path,
        questions=QUESTIONS.replace("level: advanced", "level: expert").replace('"What does dropout do?"', '""'),
        rubrics=RUBRICS.replace("weight: 2", "weigth: 2"),
    )
    result = invoke("bank", "validate", str(bank))
    assert result.exit_code == 2
    problem_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(problem_lines) == 3
    assert any("unknown level 'expert'" in line for line in problem_lines)
    assert any("must not be empty" in line for line in problem_lines)
    assert any("unknown field 'weigth'" in line for line in problem_lines)
    assert "3 problems" in result.stderr

    report = json.loads(invoke("bank", "validate", str(bank), "--json").stdout)
    assert report["ok"] is False and len(report["problems"]) == 3
    assert all(problem["file"].endswith("mini.yaml") and problem["location"] for problem in report["problems"])


def test_empty_questions_file(tmp_path):
    bank = write_bank(tmp_path, questions="")
    assert_bad(invoke("bank", "validate", str(bank)), "mini.yaml", "the file is empty")
    bank = write_bank(tmp_path, questions="bank: mini\nquestions: []\n")
    assert_bad(invoke("bank", "validate", str(bank)), "mini.yaml", "'questions' list is empty")


# --- start-up stays light -------------------------------------------------------------------


def test_cli_import_loads_no_heavy_library():
    heavy = ["torch", "sentence_transformers", "openai", "numpy"]
    code = f"import sys, interviewer.cli; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_help_and_version_run():
    executable = Path(sys.executable).with_name("interviewer")
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "interviewer"]
    helped = subprocess.run([*command, "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "bank" in helped.stdout
    versioned = subprocess.run([*command, "--version"], capture_output=True, text=True)
    from interviewer import __version__

    assert versioned.returncode == 0 and versioned.stdout.strip() == f"interviewer {__version__}"
    bank_help = subprocess.run([*command, "bank", "--help"], capture_output=True, text=True)
    assert bank_help.returncode == 0
    for command_name in ("list", "show", "validate", "import"):
        assert command_name in bank_help.stdout


def test_naming_a_rubric_file_points_to_its_question_file(tmp_path):
    bank = write_bank(tmp_path)
    assert_bad(invoke("bank", "validate", str(bank / "rubrics" / "mini.yaml")), "rubrics/mini.yaml",
               "this is a rubric file", "questions/mini.yaml")


def test_level_choices_match_the_bank_levels():
    from interviewer.bank.models import Level
    from interviewer.cli.bank import LevelChoice

    assert [choice.value for choice in LevelChoice] == [level.value for level in Level]
