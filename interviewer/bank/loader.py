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

from interviewer.bank.models import BankQuestion, Concept, Level, Misconception, Question, Rubric
from interviewer.errors import BankError
from interviewer.paths import shipped_question_files, user_bank_paths

QUESTIONS_DIR = "questions"
RUBRICS_DIR = "rubrics"


class _LineDict(dict):
    """A YAML mapping that remembers the line it started on (1-based)."""

    line: int = 0


# libyaml's parser when present: the pure-Python one takes about 0.4 s for the shipped banks.
_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> _LineDict:  # type: ignore[override]
        # PyYAML silently keeps the last of two equal keys; a bank author wants to hear about it.
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}' in one mapping", key_node.start_mark
                )
            seen.add(key)
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
        lines = [f"{len(self.problems)} problems in the question banks:"]
        lines += [f"  {problem.message}" for problem in self.problems]
        super().__init__("\n".join(lines))


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
        text = path.read_text(encoding="utf-8-sig")  # -sig: a byte-order mark is not content
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
        opened = exc.context_mark
        if exc.context and opened and mark and opened.line != mark.line:
            problem += f" ({exc.context} that starts on line {opened.line + 1})"
        lines = text.splitlines()
        if mark and mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]:
            problem += " (indent with spaces: YAML does not allow tabs)"
        raise BankError(f"malformed YAML: {problem}", path=path, location=where) from None
    except yaml.YAMLError as exc:
        raise BankError(f"malformed YAML: {exc}", path=path) from None


_NESTED_MODELS: dict[str, type[BaseModel]] = {"concepts": Concept, "misconceptions": Misconception}


def _field_names(model: type[BaseModel]) -> str:
    return ", ".join(model.model_fields)


def _describe_error(error: Any, model: type[BaseModel]) -> str:
    """One pydantic error in words a bank author understands."""
    name = str(error["loc"][-1]) if error["loc"] else "entry"
    kind = error["type"]
    given = error.get("input")
    if kind == "missing":
        return f"missing field '{name}'"
    if kind == "extra_forbidden":
        return f"unknown field '{name}' (allowed: {_field_names(model)})"
    if kind == "enum" and name == "level":
        allowed = ", ".join(level.value for level in Level)
        return f"unknown level '{given}' (use one of: {allowed})"
    if kind == "string_pattern_mismatch" and name == "id":
        return (
            f"id '{given}' is not a valid question id "
            "(lowercase 'bank/name', e.g. dl-nlp/q10-lstm)"
        )
    if kind == "too_short" and name == "concepts":
        return "a rubric needs at least one concept"
    if kind == "list_type":
        return f"field '{name}' must be a list, e.g. [a, b]"
    if kind == "string_type":
        return f"field '{name}' must be text"
    if kind == "model_type":
        return f"'{name}' entries must be mappings of fields"
    message = error["msg"].removeprefix("Value error, ")
    return f"field '{name}': {message[0].lower()}{message[1:]}"


def _describe_validation(
    exc: ValidationError, model: type[BaseModel], entry: Any, base: str | None
) -> list[tuple[str, str | None]]:
    """Group errors by the mapping they sit in: (problem, location) per mapping.

    An error inside `concepts[1]` is reported at that concept's own line and label.
    """
    groups: dict[tuple[Any, ...], tuple[str | None, type[BaseModel], list[str]]] = {}
    for error in exc.errors():
        loc = error["loc"]
        owner: tuple[Any, ...] = ()
        owner_model, location = model, base
        if len(loc) >= 3 and loc[0] in _NESTED_MODELS and isinstance(loc[1], int):
            owner, owner_model = (loc[0], loc[1]), _NESTED_MODELS[str(loc[0])]
            item = entry.get(loc[0])[loc[1]] if isinstance(entry, dict) else None
            location = _nested_location(base, item, str(loc[0]), loc[1])
        groups.setdefault(owner, (location, owner_model, []))[2].append(
            _describe_error(error, owner_model)
        )
    return [("; ".join(messages), location) for location, _, messages in groups.values()]


def _nested_location(base: str | None, item: Any, kind: str, index: int) -> str:
    singular = kind.removesuffix("s")
    label = item.get("label") or item.get("statement") if isinstance(item, dict) else None
    named = f"{singular} '{label}'" if isinstance(label, str) and label.strip() else f"{singular} {index + 1}"
    parts = [part for part in (base or "").split(", ") if part and not part.startswith("line ")]
    line = getattr(item, "line", None)
    return ", ".join([*([f"line {line}"] if line else []), *parts, named])


def _entries(document: Any, key: str, path: Path) -> list[Any]:
    if document is None:
        raise BankError(f"the file is empty (expected a mapping with a '{key}' list)", path=path)
    if isinstance(document, dict) and key == "questions" and "rubrics" in document:
        raise BankError(
            f"this is a rubric file: name its question file ({QUESTIONS_DIR}/{path.name}) or the bank folder",
            path=path,
        )
    if not isinstance(document, dict) or key not in document:
        raise BankError(f"expected a mapping with a '{key}' list at the top", path=path)
    entries = document[key]
    line = getattr(document, "line", None)
    if not isinstance(entries, list):
        raise BankError(f"'{key}' must be a list", path=path, location=f"line {line}" if line else None)
    if not entries:
        raise BankError(f"the '{key}' list is empty", path=path)
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
    """The validated model, or a BankProblems with one message per faulty mapping."""
    location = _entry_location(entry, id_key)
    if not isinstance(entry, dict):
        raise BankError("each entry must be a mapping of fields", path=path, location=location)
    try:
        return model.model_validate(dict(entry))
    except ValidationError as exc:
        found = [
            BankError(message, path=path, location=where)
            for message, where in _describe_validation(exc, model, entry, location)
        ]
        for problem in found:
            problem.entry_id = entry.get(id_key)  # so a faulty rubric is not also reported missing
        raise (found[0] if len(found) == 1 else BankProblems(found)) from None


def _failed_ids(problems: Iterable[BankError]) -> set[str]:
    """The ids of entries that failed validation (set by _parse_entry)."""
    return {p.entry_id for p in problems if isinstance(getattr(p, "entry_id", None), str)}  # type: ignore[attr-defined]


def _collect(problem: BankError, into: list[BankError]) -> None:
    into.extend(problem.problems if isinstance(problem, BankProblems) else [problem])


def load_question_file(path: Path) -> tuple[list[tuple[Question, int | None]], list[BankError]]:
    """The file's questions with the line each starts on, and the problems of the faulty ones."""
    document = read_yaml(path)
    entries = _entries(document, "questions", path)
    bank_name = str(document.get("bank") or path.stem)
    questions: list[tuple[Question, int | None]] = []
    problems: list[BankError] = []
    for entry in entries:
        if isinstance(entry, dict) and not entry.get("source"):
            entry["source"] = bank_name
        try:
            questions.append((_parse_entry(Question, entry, path, "id"), getattr(entry, "line", None)))
        except BankError as problem:
            _collect(problem, problems)
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
            _collect(problem, problems)
    return rubrics, problems


def _at(line: int | None, what: str) -> str:
    return f"line {line}, {what}" if line else what


def _load_rubrics(
    rubric_file: Path, question_file: Path, known: set[str], problems: list[BankError]
) -> dict[str, Rubric | None]:
    """Rubrics by question id; None for an entry that exists but is faulty (already reported)."""
    try:
        parsed, found = load_rubric_file(rubric_file)
    except BankError as problem:
        problems.append(problem)
        return {}
    problems.extend(found)
    rubrics: dict[str, Rubric | None] = dict.fromkeys(_failed_ids(found))
    for rubric, line in parsed:
        where = _at(line, f"rubric for {rubric.question_id}")
        if rubric.question_id not in known:
            problems.append(BankError(
                f"rubric names unknown question '{rubric.question_id}' "
                f"(no such id in {question_file.name})",
                path=rubric_file, location=where,
            ))
        elif rubrics.get(rubric.question_id):
            problems.append(BankError(
                f"second rubric for question '{rubric.question_id}'", path=rubric_file, location=where
            ))
        else:
            rubrics[rubric.question_id] = rubric
    return rubrics


def collect_problems(question_files: Sequence[Path]) -> tuple[Bank, list[BankError]]:
    """Load every file, gathering every problem instead of stopping at the first."""
    bank = Bank()
    problems: list[BankError] = []
    origin: dict[str, str] = {}
    for question_file in question_files:
        try:
            questions, found = load_question_file(question_file)
        except BankError as problem:
            problems.append(problem)
            continue
        problems.extend(found)
        bank.files.append(question_file)

        rubric_file = rubric_path_for(question_file)
        if not rubric_file.exists():
            # One message for the whole file instead of one per question.
            problems.append(BankError(
                f"no rubric file for these questions (expected {rubric_file})", path=question_file
            ))
            continue
        # A faulty question is already reported: its rubric still names a known id.
        known = {question.id for question, _ in questions}
        known |= _failed_ids(found)
        rubrics = _load_rubrics(rubric_file, question_file, known, problems)

        for question, line in questions:
            where = _at(line, f"question {question.id}")
            if question.id in origin:
                problems.append(BankError(
                    f"duplicate question id '{question.id}' (already defined at {origin[question.id]})",
                    path=question_file, location=where,
                ))
                continue
            origin[question.id] = f"{question_file}" + (f", line {line}" if line else "")
            if question.id not in rubrics:
                problems.append(BankError(
                    f"question has no rubric (add one to {rubric_file})",
                    path=question_file, location=where,
                ))
                continue
            rubric = rubrics[question.id]
            if rubric is not None:  # None: its rubric is faulty, already reported
                bank.items[question.id] = BankQuestion(question=question, rubric=rubric)
    return bank, problems


def resolve_question_files(paths: Iterable[Path | str]) -> tuple[list[Path], list[BankError]]:
    """Every question file the paths name, each once, and the paths that name none."""
    files: list[Path] = []
    seen: set[Path] = set()
    problems: list[BankError] = []
    for path in paths:
        try:
            found = question_files_in(Path(path))
        except BankError as problem:
            problems.append(problem)
            continue
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                files.append(file)
    return files, problems


def load_bank(paths: Iterable[Path | str]) -> Bank:
    """Load the banks at these paths; raise one BankError listing every problem."""
    files, problems = resolve_question_files(paths)
    bank, found = collect_problems(files)
    problems.extend(found)
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
