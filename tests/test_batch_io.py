"""Reading submissions files and writing/reading graded output files."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interviewer.batch.output import OUTPUT_COLUMNS, ResultWriter, read_existing_output
from interviewer.batch.submissions import (
    MAX_ANSWER_CHARS,
    Submission,
    parse_column_mapping,
    read_submissions,
)
from interviewer.errors import InputError


def rows(path: Path, mapping: dict[str, str] | None = None) -> list[Submission]:
    return list(read_submissions(path, mapping))


def test_csv_rows_in_order_with_defaults_and_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        "question_id,answer,notes,candidate\n"
        "a/q1,First answer,whatever,ann\n"
        'a/q2,"Second answer\nover two lines",,bob\n'
        "\n"
        "a/q1,Third,x,\n",
        encoding="utf-8",
    )
    got = rows(path)
    assert [(r.id, r.row, r.line, r.question_id, r.candidate, r.answer) for r in got] == [
        ("1", 1, 2, "a/q1", "ann", "First answer"),
        ("2", 2, 3, "a/q2", "bob", "Second answer\nover two lines"),
        ("3", 3, 6, "a/q1", "", "Third"),
    ]
    assert all(r.error is None for r in got)


def test_student_answer_column_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(codecs.BOM_UTF8 + "id,question_id,student_answer\nx9,a/q1,Ünïcode ok\n".encode())
    (row,) = rows(path)
    assert (row.id, row.answer, row.error) == ("x9", "Ünïcode ok", None)


def test_column_mapping_csv_and_jsonl(tmp_path: Path) -> None:
    mapping = parse_column_mapping(["answer=response", "question_id=qid", "candidate=Name"])
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("qid,response,name,answer\na/q1,mapped,Zoe,ignored\n", encoding="utf-8")
    (row,) = rows(csv_path, mapping)
    assert (row.question_id, row.answer, row.candidate) == ("a/q1", "mapped", "Zoe")

    jsonl_path = tmp_path / "in.jsonl"
    jsonl_path.write_text(json.dumps({"qid": "a/q2", "response": "from json", "Name": "Yan"}) + "\n")
    (row,) = rows(jsonl_path, mapping)
    assert (row.question_id, row.answer, row.candidate) == ("a/q2", "from json", "Yan")


def test_bad_column_options() -> None:
    with pytest.raises(InputError, match="unknown field 'respons'"):
        parse_column_mapping(["respons=answer"])
    with pytest.raises(InputError, match="canonical=actual"):
        parse_column_mapping(["answer"])


def test_mapped_column_missing_from_header(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("question_id,answer\na/q1,x\n")
    with pytest.raises(InputError, match="no column 'response'") as caught:
        read_submissions(path, {"answer": "response"})
    assert caught.value.exit_code == 2


def test_each_bad_row_kind_is_a_row_error_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"question_id": "a/q1", "answer": "fine"}),
        '{"question_id": "a/q1", "answer": ',
        json.dumps({"question_id": "a/q1", "answer": "   "}),
        json.dumps({"question_id": "a/q1", "answer": "x" * (MAX_ANSWER_CHARS + 1)}),
        json.dumps({"question_id": "a/q1"}),
        json.dumps({"answer": "no question"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"question_id": "a/q1", "answer": {"nested": 1}}),
        json.dumps({"question": "Inline?", "reference_answer": "Ref.", "answer": "ok", "keywords": ["k1", "k2"],
                    "id": 77, "extra": [1, 2]}),
    ]
    path.write_text("\n".join(lines) + "\n")
    got = rows(path)
    assert [r.row for r in got] == list(range(1, 10))
    errors = [r.error for r in got]
    assert errors[0] is None and errors[8] is None
    assert errors[1].startswith("line 2: bad JSON")
    assert errors[2] == "line 3: empty answer"
    assert errors[3].startswith("line 4: answer too long (20,001 characters; the limit is 20,000)")
    assert errors[4] == "line 5: missing field 'answer'"
    assert "missing field 'question_id'" in errors[5]
    assert errors[6] == "line 7: expected a JSON object, got list"
    assert errors[7] == "line 8: field 'answer' must be text"
    assert (got[8].id, got[8].keywords, got[8].question) == ("77", "k1; k2", "Inline?")


def test_short_csv_row_is_missing_fields(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,question_id,answer\nr1,a/q1\nr2,a/q1,ok\n")
    got = rows(path)
    assert got[0].error == "line 2: missing field 'answer'"
    assert got[1].error is None


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "the file is empty"),
        ("question_id,text\na/q1,x\n", "no answer column"),
        ("id,answer\n1,x\n", "no question column"),
    ],
)
def test_unusable_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_submissions(path)


def test_latin1_file_names_offset_and_line(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("question_id,answer\na/q1,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(InputError) as caught:
        read_submissions(path)
    assert caught.value.exit_code == 2
    assert str(path) in caught.value.message
    assert "not UTF-8" in caught.value.message
    assert "byte 0xe9 at byte offset 27, line 2" in caught.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_submissions(tmp_path / "nope.csv")


def _record(n: int, **extra: object) -> dict[str, object]:
    base = {key: "" for key in OUTPUT_COLUMNS}
    base.update(id=str(n), question_id="a/q1", score=50.0 + n, verdict="partial", needs_review=False,
                grader="offline", error=None, feedback='say "hi",\nthen go')
    base.update(extra)
    return base


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_output_round_trip_and_partial_last_row_is_cut(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"out.{fmt}"
    with ResultWriter(path, fmt, append=False) as writer:
        writer.write([_record(1), _record(2, error="line 3: empty answer", score=None, verdict=None)])
    complete = path.read_bytes()
    with ResultWriter(path, fmt, append=True) as writer:
        writer.write([_record(3)])
    # A kill mid-write leaves part of the last row.
    path.write_bytes(path.read_bytes()[:-9])
    back = list(read_existing_output(path, fmt))
    assert [r["id"] for r in back] == ["1", "2"]
    assert back[0]["feedback"] == 'say "hi",\nthen go'
    assert back[0]["score"] == 51.0 and back[1]["score"] is None and back[1]["error"] == "line 3: empty answer"
    assert path.read_bytes() == complete


def test_resume_refuses_a_foreign_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("name,score\nann,3\n")
    with pytest.raises(InputError, match="not an output of `interviewer grade`"):
        read_existing_output(path, "csv")
    assert path.read_text() == "name,score\nann,3\n"


# --- fuzzing: no input produces a traceback ---------------------------------------------

_fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _read_all(path: Path, mapping: dict[str, str] | None = None) -> None:
    try:
        for row in read_submissions(path, mapping):
            assert isinstance(row, Submission)
            assert row.error is None or row.error.startswith("line ")
            assert row.error is not None or row.answer.strip()
    except InputError as exc:
        assert exc.exit_code == 2 and exc.message


@_fuzz
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".jsonl", ".tsv"]))
def test_fuzz_random_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    _read_all(path)


_cell = st.lists(st.sampled_from(list('ab ,;"\n\r\t\x00é{}[]:') + ["answer", "a/q1"]), max_size=8).map("".join)


@_fuzz
@given(
    header=st.lists(st.sampled_from(["id", "answer", "question_id", "question", "reference_answer", "keywords",
                                     "candidate", "x", ""]), max_size=6),
    body=st.lists(st.lists(_cell, max_size=7), max_size=8),
    tail=_cell,
)
def test_fuzz_csvish_text(tmp_path: Path, header: list[str], body: list[list[str]], tail: str) -> None:
    path = tmp_path / "fuzz.csv"
    text = ",".join(header) + "\n" + "\n".join(",".join(cells) for cells in body) + tail
    path.write_text(text, encoding="utf-8")
    _read_all(path)


_json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
_json_line = st.one_of(
    st.dictionaries(
        st.sampled_from(["id", "answer", "student_answer", "question_id", "question", "reference_answer",
                         "keywords", "candidate", "other"]),
        _json_value, max_size=6,
    ).map(json.dumps),
    _json_value.map(json.dumps),
    st.text(max_size=30),
)


@_fuzz
@given(lines=st.lists(_json_line, max_size=8), mapped=st.booleans())
def test_fuzz_json_lines(tmp_path: Path, lines: list[str], mapped: bool) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(line.replace("\n", " ") for line in lines), encoding="utf-8")
    _read_all(path, {"answer": "other"} if mapped else None)
