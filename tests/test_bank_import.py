"""`bank import`: the two seed layouts become banks that validate and load as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.bank.loader import load_bank
from interviewer.bank.markdown_import import parse_markdown_bank
from interviewer.bank.models import QUESTION_ID_PATTERN, Level
from interviewer.cli import app

SEEDS = Path(__file__).parent / "fixtures" / "seeds"
WEEK2 = SEEDS / "week2-deep-learning-nlp.md"
TF = SEEDS / "tensorflow-deep-dive.md"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def import_into(out: Path, source: Path, *extra: str):
    result = run("bank", "import", str(source), "--out", str(out), *extra)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def week2() -> list:
    return parse_markdown_bank(WEEK2.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tf() -> list:
    return parse_markdown_bank(TF.read_text(encoding="utf-8"))


# --- parsing ---------------------------------------------------------------------------------


def test_headed_document_levels_follow_its_sections(week2):
    assert len(week2) == 25
    levels = [question.level for question in week2]
    assert levels[:14] == [Level.beginner] * 14
    assert levels[14:20] == [Level.intermediate] * 6
    assert levels[20:23] == [Level.advanced] * 3
    assert levels[23:] == [Level.advanced] * 2  # the Bonus section: advanced unless told otherwise

    bonus_intermediate = parse_markdown_bank(WEEK2.read_text(encoding="utf-8"), bonus_level=Level.intermediate)
    assert [q.level for q in bonus_intermediate[23:]] == [Level.intermediate] * 2
    assert [q.level for q in bonus_intermediate[:23]] == levels[:23]


def test_headed_document_keywords_hints_and_prompts(week2):
    by_number = {question.number: question for question in week2}
    assert by_number[2].keywords == ["Encoder", "Decoder", "Latent Space", "Bottleneck", "Reconstruction"]
    assert by_number[16].keywords == ["Padding", "Truncation", "Masking", "max_length", "RNN/LSTM"]
    assert by_number[21].keywords == ["Forget Gate", "Input Gate", "Output Gate", "Cell State", "Sigmoid", "Tanh"]
    assert by_number[10].prompt == "What is an LSTM and how does it solve the vanishing gradient problem?"
    assert by_number[15].hint == "The diverging curves are a classic diagnostic pattern."
    assert by_number[1].hint is None
    assert by_number[2].answer.startswith("An **autoencoder** is a neural network")
    assert "<details>" not in by_number[2].answer and "Click to Reveal" not in by_number[2].answer
    assert "**Keywords:**" not in by_number[2].answer


def test_comment_lines_inside_code_blocks_are_not_headings(week2):
    pipeline, custom_loop = week2[21], week2[22]
    assert "# Create versioned experiment directory" in pipeline.answer
    assert "CSVLogger" in pipeline.answer and pipeline.answer.count("```") % 2 == 0
    assert custom_loop.prompt.startswith("How would you implement a custom training loop")


def test_qa_document_takes_numbered_items_after_interview_qa(tf):
    assert len(tf) == 10
    assert [question.prompt for question in tf[:2]] == [
        "When would you prefer TensorFlow over PyTorch?",
        "Why do researchers often prefer PyTorch?",
    ]
    assert tf[9].prompt == "What is the advantage of using `AUTOTUNE` with `prefetch()`?"
    assert all(question.level == Level.intermediate for question in tf)  # no level headings
    assert tf[0].answer.startswith("I would prefer TensorFlow when deploying models at scale")
    assert not any(question.answer.startswith("- ") for question in tf)
    # the section text and its code examples are not part of any answer
    assert not any("import tensorflow" in question.answer for question in tf)
    beginner = parse_markdown_bank(TF.read_text(encoding="utf-8"), default_level=Level.beginner)
    assert all(question.level == Level.beginner for question in beginner)


def test_a_section_that_names_no_level_ends_the_level_section():
    text = """\
## Beginner
### Q1: What is a tensor?
**Keywords:** array, rank
A multi-dimensional array.

## Appendix
**Interview Q&A**:
1. **What is a batch?**
   - A group of examples processed together.

## Advanced topics
**Interview Q&A**:
1. **What is mixed precision?**
   - Training with float16 and float32 together.
"""
    questions = parse_markdown_bank(text)
    assert [(q.prompt, q.level) for q in questions] == [
        ("What is a tensor?", Level.beginner),
        ("What is a batch?", Level.intermediate),
        ("What is mixed precision?", Level.advanced),
    ]
    assert questions[0].answer == "A multi-dimensional array."
    assert questions[0].keywords == ["array", "rank"]
    assert questions[1].line == 8


# --- the import command -----------------------------------------------------------------------


def test_import_both_seeds_then_validate_and_load(tmp_path):
    first = import_into(tmp_path, WEEK2)
    assert "Imported 25 questions" in first.stdout
    assert "14 beginner, 6 intermediate, 5 advanced" in first.stdout
    assert "interviewer bank validate" in first.stdout and "--bank" in first.stdout
    second = import_into(tmp_path, TF)
    assert "Imported 10 questions" in second.stdout and "10 intermediate" in second.stdout
    assert (tmp_path / "questions" / "week2-deep-learning-nlp.yaml").is_file()
    assert (tmp_path / "rubrics" / "tensorflow-deep-dive.yaml").is_file()

    validated = run("bank", "validate", str(tmp_path))
    assert validated.exit_code == 0, validated.output
    assert "35 questions" in validated.stdout

    bank = load_bank([tmp_path])
    all_ids = list(bank.items)
    assert len(all_ids) == 35 and all(re.match(QUESTION_ID_PATTERN, question_id) for question_id in all_ids)
    ids = [question_id for question_id in all_ids if question_id.startswith("week2-deep-learning-nlp/")]
    assert len(ids) == 25
    assert [question_id.split("/")[1].split("-")[0] for question_id in ids] == [f"q{n}" for n in range(1, 26)]
    assert ids[0].startswith("week2-deep-learning-nlp/q1-tensorboard")
    assert ids[9].startswith("week2-deep-learning-nlp/q10-lstm")
    assert sum(question_id.startswith("tensorflow-deep-dive/q") for question_id in all_ids) == 10
    for question_id in all_ids:
        slug = question_id.split("/", 1)[1].split("-", 1)[1]
        assert 1 <= len(slug.split("-")) <= 5, question_id

    autoencoder = bank.get(ids[1])
    assert [c.label for c in autoencoder.rubric.concepts] == [
        "Encoder", "Decoder", "Latent Space", "Bottleneck", "Reconstruction"
    ]
    encoder = autoencoder.rubric.concepts[0]
    assert "encoder" in encoder.description.lower() and encoder.description in re.sub(
        r"\*\*|`", "", autoencoder.question.reference_answer
    )
    assert all(c.weight == 1 and c.aliases == [] for c in autoencoder.rubric.concepts)
    assert autoencoder.question.level == Level.beginner

    padding = bank.get(ids[10]).question.reference_answer
    assert "```python\nfrom tensorflow.keras.preprocessing.sequence import pad_sequences\n" in padding
    assert "padded = pad_sequences(sequences, maxlen=100, padding='post')\n```" in padding

    assert bank.get(ids[14]).question.hint == "The diverging curves are a classic diagnostic pattern."


def test_qa_import_derives_three_to_five_concepts_from_each_answer(tmp_path):
    import_into(tmp_path, TF)
    bank = load_bank([tmp_path])
    assert len(bank) == 10
    for item in bank:
        labels = [concept.label for concept in item.rubric.concepts]
        assert 3 <= len(labels) <= 5, (item.id, labels)
        answer = item.question.reference_answer.lower().replace("’", "'").replace("'s ", " ")
        for label in labels:
            assert label.lower() in answer, (item.id, label)
    deployment = bank.get(next(iter(bank.items)))
    assert {"TensorFlow Serving", "TensorFlow Lite"} <= {c.label for c in deployment.rubric.concepts}


def test_level_options_override_the_defaults(tmp_path):
    import_into(tmp_path / "tf", TF, "--level", "beginner")
    assert {item.question.level for item in load_bank([tmp_path / "tf"])} == {Level.beginner}
    import_into(tmp_path / "w2", WEEK2, "--bonus-level", "intermediate")
    levels = [item.question.level for item in load_bank([tmp_path / "w2"])]
    assert levels[23:] == [Level.intermediate, Level.intermediate] and levels[20:23] == [Level.advanced] * 3


def test_name_sets_the_file_names_and_id_prefix(tmp_path):
    import_into(tmp_path, TF, "--name", "tf-notes")
    assert (tmp_path / "questions" / "tf-notes.yaml").is_file()
    assert all(question_id.startswith("tf-notes/q") for question_id in load_bank([tmp_path]).items)
    listed = runner.invoke(app, ["bank", "list", "--json", "--bank", str(tmp_path)])
    assert sum(q["id"].startswith("tf-notes/") for q in json.loads(listed.stdout)) == 10


def test_refuses_to_overwrite_without_force(tmp_path):
    import_into(tmp_path, TF)
    question_file = tmp_path / "questions" / "tensorflow-deep-dive.yaml"
    question_file.write_text(question_file.read_text(encoding="utf-8") + "# my edits\n", encoding="utf-8")

    again = run("bank", "import", str(TF), "--out", str(tmp_path))
    assert again.exit_code == 2
    assert "tensorflow-deep-dive.yaml" in again.output and "already exist" in again.output
    assert "--force" in again.output
    assert question_file.read_text(encoding="utf-8").endswith("# my edits\n")

    import_into(tmp_path, TF, "--force")
    assert "# my edits" not in question_file.read_text(encoding="utf-8")


def test_bad_name_is_refused(tmp_path):
    result = run("bank", "import", str(TF), "--out", str(tmp_path), "--name", "My Notes")
    assert result.exit_code == 2 and "bank name 'My Notes'" in result.output
    assert not (tmp_path / "questions").exists()


def test_markdown_without_questions(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nSome text about tensors.\n\n1. a list\n2. not questions\n", encoding="utf-8")
    result = run("bank", "import", str(notes), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "notes.md" in result.output and "no questions found" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_question_without_an_answer_names_its_line(tmp_path):
    doc = tmp_path / "gaps.md"
    doc.write_text("## Beginner\n\n### Q1: What is a tensor?\n\n**Keywords:** array\n\n---\n", encoding="utf-8")
    result = run("bank", "import", str(doc), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "gaps.md, line 3" in result.output and "has no answer" in result.output


def test_unreadable_markdown(tmp_path):
    missing = run("bank", "import", str(tmp_path / "absent.md"), "--out", str(tmp_path))
    assert missing.exit_code == 2 and "absent.md" in missing.output and "No such file" in missing.output
    latin = tmp_path / "latin.md"
    latin.write_bytes("### Q1: Caf\u00e9?\n".encode("latin-1"))
    result = run("bank", "import", str(latin), "--out", str(tmp_path))
    assert result.exit_code == 2 and "latin.md" in result.output and "not UTF-8" in result.output


def test_byte_order_mark_and_title(tmp_path):
    doc = tmp_path / "notes.md"
    doc.write_bytes("\ufeff# My notes\n\n## Advanced\n\n### Q1: What is attention?\n\nA weighted sum of values.\n".encode())
    result = import_into(tmp_path, doc)
    assert "Imported 1 question from notes.md (1 advanced)" in result.stdout
    bank = load_bank([tmp_path])
    (item,) = bank
    assert item.id == "notes/q1-attention" and item.question.level == Level.advanced
    assert "title: My notes" in (tmp_path / "questions" / "notes.yaml").read_text(encoding="utf-8")
