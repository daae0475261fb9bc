"""Load question and rubric YAML files into a validated Bank.

Every problem becomes a BankError naming the file, the line or question id, and what
to fix; nothing here lets a YAML or pydantic traceback reach the user.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from interviewer.bank.models import BankQuestion, Level, Question, Rubric
from interviewer.errors import BankError
from interviewer.paths import shipped_question_files, user_bank_paths

QUESTIONS_DIR = "questions"
RUBRICS_DIR = "rubrics"


class _LineDict(dict):
    """A YAML mapping that remembers the line it started on (1-based)."""

    line: int = 0


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> _LineDict:  # type: ignore[override]
        mapping = _LineDict(super().construct_mapping(node, deep=deep))
        mapping.line = node.start_mark.line + 1
        return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping
)


class BankProblems(BankError):
    """Several problems found at once (`bank validate` lists them all)."""

    def __init__(self, problems: Sequence[BankError]) -> None:
        self.problems = list(problems)
        lines = [problem.message for problem in self.problems]
        super().__init__("\n".join(lines))
        self.message = "\n".join(lines)


@dataclass
class Bank:
    """Questions joined to their rubrics, in file order."""

    items: dict[str, BankQuestion] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[BankQuestion]:
        return iter(self.items.values())

    def __contains__(self, question_id: object) -> bool:
        return question_id in self.items

    def get(self, question_id: str) -> BankQuestion:
        try:
            return self.items[question_id]
        except KeyError:
            raise BankError(
                f"no question with id '{question_id}' (see `interviewer bank list`)"
            ) from None

    def select(
        self, *, level: Level | str | None = None, topics: Iterable[str] = ()
    ) -> list[BankQuestion]:
        wanted_topics = {topic.strip().lower() for topic in topics if topic.strip()}
        wanted_level = Level(level) if level else None
        return [
            item
            for item in self
            if (wanted_level is None or item.question.level == wanted_level)
            and (not wanted_topics or wanted_topics & set(item.question.topics))
        ]

    @property
    def topics(self) -> list[str]:
        return sorted({topic for item in self for topic in item.question.topics})


def rubric_path_for(question_file: Path) -> Path:
    """Where the rubric of a question file lives.

    `X/questions/NAME.yaml` pairs with `X/rubrics/NAME.yaml`; a question file elsewhere
    pairs with `NAME.rubric.yaml` beside it.
    """
    if question_file.parent.name == QUESTIONS_DIR:
        return question_file.parent.parent / RUBRICS_DIR / question_file.name
    return question_file.with_name(f"{question_file.stem}.rubric.yaml")


def question_files_in(path: Path) -> list[Path]:
    """The question files a --bank PATH names: a file, or a folder holding `questions/`."""
    if path.is_dir():
        folder = path / QUESTIONS_DIR if (path / QUESTIONS_DIR).is_dir() else path
        files = sorted(
            candidate
            for pattern in ("*.yaml", "*.yml")
            for candidate in folder.glob(pattern)
            if not candidate.name.endswith((".rubric.yaml", ".rubric.yml"))
        )
        if not files:
            raise BankError("no question files (*.yaml) found in this folder", path=path)
        return files
    if not path.exists():
        raise BankError("no such file or folder", path=path)
    return [path]


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BankError("cannot read file: it is not UTF-8 text", path=path) from None
    except OSError as exc:
        raise BankError(f"cannot read file: {exc.strerror or exc}", path=path) from None
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}" if mark else None
        problem = exc.problem or exc.context or "unreadable"
        raise BankError(f"malformed YAML: {problem}", path=path, location=where) from None
    except yaml.YAMLError as exc:
        raise BankError(f"malformed YAML: {exc}", path=path) from None


def _describe_validation(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        field_name = ".".join(str(piece) for piece in error["loc"]) or "entry"
        kind = error["type"]
        if kind == "missing":
            parts.append(f"missing field '{field_name}'")
        elif kind == "extra_forbidden":
            parts.append(f"unknown field '{field_name}'")
        elif kind == "enum" and error["loc"] and error["loc"][-1] == "level":
            allowed = ", ".join(level.value for level in Level)
            parts.append(f"unknown level '{error.get('input')}' (use one of: {allowed})")
        elif kind == "string_pattern_mismatch" and error["loc"] == ("id",):
            parts.append(
                f"id '{error.get('input')}' is not a valid question id "
                "(lowercase 'bank/name', e.g. dl-nlp/q10-lstm)"
            )
        else:
            message = error["msg"].removeprefix("Value error, ")
            parts.append(f"field '{field_name}': {message}")
    return "; ".join(parts)


def _entries(document: Any, key: str, path: Path) -> list[Any]:
    if document is None:
        raise BankError(f"the file is empty (expected a mapping with a '{key}' list)", path=path)
    if not isinstance(document, dict) or key not in document:
        raise BankError(f"expected a mapping with a '{key}' list at the top", path=path)
    entries = document[key]
    if not isinstance(entries, list):
        line = getattr(document, "line", None)
        raise BankError(f"'{key}' must be a list", path=path, location=f"line {line}" if line else None)
    return entries


def _entry_location(entry: Any, id_key: str) -> str | None:
    parts = []
    line = getattr(entry, "line", None)
    if line:
        parts.append(f"line {line}")
    if isinstance(entry, dict) and isinstance(entry.get(id_key), str):
        parts.append(f"{'question' if id_key == 'id' else 'rubric for'} {entry[id_key]}")
    return ", ".join(parts) or None


def _parse_entry(model: type[BaseModel], entry: Any, path: Path, id_key: str) -> Any:
    location = _entry_location(entry, id_key)
    if not isinstance(entry, dict):
        raise BankError("each entry must be a mapping of fields", path=path, location=location)
    try:
        return model.model_validate(dict(entry))
    except ValidationError as exc:
        raise BankError(_describe_validation(exc), path=path, location=location) from None


def load_question_file(path: Path) -> tuple[list[Question], list[BankError]]:
    document = read_yaml(path)
    entries = _entries(document, "questions", path)
    bank_name = document.get("bank") or path.stem
    questions: list[Question] = []
    problems: list[BankError] = []
    for entry in entries:
        if isinstance(entry, dict) and not entry.get("source"):
            entry["source"] = bank_name
        try:
            questions.append(_parse_entry(Question, entry, path, "id"))
        except BankError as problem:
            problems.append(problem)
    return questions, problems


def load_rubric_file(path: Path) -> tuple[list[tuple[Rubric, int | None]], list[BankError]]:
    document = read_yaml(path)
    entries = _entries(document, "rubrics", path)
    rubrics: list[tuple[Rubric, int | None]] = []
    problems: list[BankError] = []
    for entry in entries:
        try:
            rubrics.append((_parse_entry(Rubric, entry, path, "question_id"), getattr(entry, "line", None)))
        except BankError as problem:
            problems.append(problem)
    return rubrics, problems


def collect_problems(question_files: Sequence[Path]) -> tuple[Bank, list[BankError]]:
    """Load every file, gathering every problem instead of stopping at the first."""
    bank = Bank()
    problems: list[BankError] = []
    origin: dict[str, Path] = {}
    for question_file in question_files:
        try:
            questions, found = load_question_file(question_file)
        except BankError as problem:
            problems.append(problem)
            continue
        problems.extend(found)
        bank.files.append(question_file)

        rubric_file = rubric_path_for(question_file)
        rubrics: dict[str, Rubric] = {}
        if rubric_file.exists():
            try:
                parsed, found = load_rubric_file(rubric_file)
            except BankError as problem:
                problems.append(problem)
                parsed = []
            else:
                problems.extend(found)
            known = {question.id for question in questions}
            for rubric, line in parsed:
                where = f"line {line}" if line else None
                if rubric.question_id not in known:
                    problems.append(BankError(
                        f"rubric names unknown question '{rubric.question_id}' "
                        f"(no such id in {question_file.name})",
                        path=rubric_file, location=where,
                    ))
                elif rubric.question_id in rubrics:
                    problems.append(BankError(
                        f"second rubric for question '{rubric.question_id}'",
                        path=rubric_file, location=where,
                    ))
                else:
                    rubrics[rubric.question_id] = rubric

        for question in questions:
            if question.id in origin:
                problems.append(BankError(
                    f"duplicate question id '{question.id}' (already defined in {origin[question.id]})",
                    path=question_file, location=f"question {question.id}",
                ))
                continue
            rubric = rubrics.get(question.id)
            if rubric is None:
                problems.append(BankError(
                    f"question has no rubric (add one to {rubric_file})",
                    path=question_file, location=f"question {question.id}",
                ))
                continue
            origin[question.id] = question_file
            bank.items[question.id] = BankQuestion(question=question, rubric=rubric)
    return bank, problems


def load_bank(paths: Iterable[Path | str]) -> Bank:
    """Load the banks at these paths; raise one BankError listing every problem."""
    files: list[Path] = []
    for path in paths:
        files.extend(question_files_in(Path(path)))
    bank, problems = collect_problems(files)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise BankProblems(problems)
    return bank


def default_bank_paths(extra: Iterable[Path | str] = ()) -> list[Path]:
    """The shipped banks, then INTERVIEWER_BANKS, then --bank options."""
    return [*shipped_question_files(), *user_bank_paths(), *(Path(path) for path in extra)]


def load_default_bank(extra: Iterable[Path | str] = ()) -> Bank:
    return load_bank(default_bank_paths(extra))
