"""Commands: bank list, show, validate, import."""

from __future__ import annotations

import difflib
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from interviewer.cli.options import BankOption, JsonOption, OutAliasOption, chosen_output
from interviewer.errors import BankError, InputError

if TYPE_CHECKING:
    from interviewer.bank.loader import Bank
    from interviewer.bank.models import BankQuestion

# The bank package (pydantic models) loads inside each command: `interviewer --help` stays instant.


class LevelChoice(str, Enum):
    beginner = "beginner"
    intermediate = "intermediate"
    advanced = "advanced"


bank_app = typer.Typer(
    name="bank",
    help="Browse, check and import question banks. A bank is a questions YAML file paired with "
    "a rubrics YAML file; the shipped banks are always loaded, INTERVIEWER_BANKS and --bank add "
    "your own.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

LevelOption = Annotated[
    Optional[LevelChoice], typer.Option("--level", "-l", case_sensitive=False, help="Only questions of this level.")
]


def question_summary(item: BankQuestion) -> dict[str, Any]:
    question = item.question
    return {
        "id": question.id,
        "level": question.level.value,
        "topics": question.topics,
        "prompt": question.prompt,
        "source": question.source,
        "hint": question.hint,
        "concepts": [concept.label for concept in item.rubric.concepts],
    }


def _find(bank: Bank, question_id: str) -> BankQuestion:
    if question_id in bank:
        return bank.get(question_id)
    close = difflib.get_close_matches(question_id, list(bank.items), n=3, cutoff=0.6)
    # `q10-lstm` alone is enough when exactly one bank has it
    suffix = [known for known in bank.items if known.endswith("/" + question_id)]
    suggestions = suffix if len(suffix) == 1 else close
    hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else " (see `interviewer bank list`)"
    raise BankError(f"no question with id '{question_id}'{hint}")


@bank_app.command("list")
def list_questions(
    level: LevelOption = None,
    topic: Annotated[
        Optional[list[str]],
        typer.Option("--topic", "-t", help="Only questions with this topic. Repeatable: any of them matches."),
    ] = None,
    bank: BankOption = None,
    json_output: JsonOption = False,
) -> None:
    """List the questions: id, level, topics and the prompt."""
    from interviewer.bank.loader import load_default_bank
    from interviewer.cli.render import bank as render_bank, print_json

    loaded = load_default_bank(bank or [])
    topics = [name.strip().lower() for name in topic or [] if name.strip()]
    unknown = [name for name in topics if name not in loaded.topics]
    if unknown:
        raise InputError(
            f"unknown topic '{unknown[0]}' (known topics: {', '.join(loaded.topics)})"
        )
    items = loaded.select(level=level.value if level else None, topics=topics)
    if json_output:
        print_json([question_summary(item) for item in items])
    else:
        render_bank.question_table(items, total=len(loaded))


@bank_app.command("show")
def show(
    question_id: Annotated[str, typer.Argument(metavar="ID", help="A question id, e.g. dl-nlp/q10-lstm.")],
    bank: BankOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show one question: prompt, hint, reference answer and its rubric."""
    from interviewer.bank.loader import load_default_bank
    from interviewer.cli.render import bank as render_bank, print_json

    item = _find(load_default_bank(bank or []), question_id)
    if json_output:
        print_json({**item.question.model_dump(mode="json"), "rubric": item.rubric.model_dump(mode="json")})
    else:
        render_bank.question_detail(item)


@bank_app.command("validate")
def validate(
    paths: Annotated[
        Optional[list[Path]],
        typer.Argument(
            metavar="PATH",
            help="Question files or bank folders (holding questions/ and rubrics/). "
            "Default: the shipped banks and INTERVIEWER_BANKS.",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Check question and rubric files; list every problem (exit code 2 if there is any)."""
    from interviewer.bank.loader import collect_problems, resolve_question_files
    from interviewer.bank.models import Level
    from interviewer.cli.render import bank as render_bank, print_json
    from interviewer.paths import shipped_question_files, user_bank_paths

    targets = list(paths or [*shipped_question_files(), *user_bank_paths()])
    if not targets:
        raise BankError("no question banks to check: name a file or folder")
    files, problems = resolve_question_files(targets)
    loaded, found = collect_problems(files)
    problems += found
    levels = Counter(item.question.level.value for item in loaded)
    summary = {
        "ok": not problems,
        "files": [str(file) for file in files],
        "questions": len(loaded),
        "rubrics": len(loaded),
        "concepts": sum(len(item.rubric.concepts) for item in loaded),
        "levels": {level.value: levels[level.value] for level in Level},
        "problems": [
            {"file": str(problem.path) if problem.path else None, "location": problem.location,
             "problem": problem.problem, "message": problem.message}
            for problem in problems
        ],
    }
    if json_output:
        print_json(summary)
    elif problems:
        render_bank.validation_problems(problems, file_count=len(files))
    else:
        render_bank.validation_summary(summary)
    if problems:
        raise typer.Exit(2)


@bank_app.command("import")
def import_markdown(
    source: Annotated[Path, typer.Argument(metavar="FILE.md", help="A Markdown question document.")],
    name: Annotated[
        Optional[str],
        typer.Option("--name", help="Bank name, the prefix of every id (default: the file name)."),
    ] = None,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", metavar="DIR", show_default=False,
                                     help="Folder to write questions/NAME.yaml and rubrics/NAME.yaml into "
                                     "(default: the current folder).")
    ] = None,
    out: OutAliasOption = None,
    level: Annotated[
        LevelChoice,
        typer.Option(
            "--level", "-l", case_sensitive=False,
            help="Level of questions outside any Beginner/Intermediate/Advanced section.",
        ),
    ] = LevelChoice.intermediate,
    bonus_level: Annotated[
        LevelChoice,
        typer.Option("--bonus-level", case_sensitive=False, help="Level of questions in a Bonus section."),
    ] = LevelChoice.advanced,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Convert a Markdown question document into a bank: questions plus a rubric skeleton.

    Understands `### Q1: question` headings (with **Keywords:**, **Hint:** and the answer in
    <details>) under Beginner/Intermediate/Advanced/Bonus sections, and numbered
    `1. **question**` items after an `**Interview Q&A**:` line.
    """
    from interviewer.bank.loader import BankProblems, collect_problems
    from interviewer.bank.markdown_import import import_markdown_bank
    from interviewer.bank.models import Level
    from interviewer.cli.render import bank as render_bank, print_json

    out = chosen_output(output, out) or Path(".")
    result = import_markdown_bank(
        source, out, name=name, default_level=Level(level.value), bonus_level=Level(bonus_level.value), force=force
    )
    _, problems = collect_problems([result.question_file])
    if problems:  # the importer only writes what the loader accepts; this guards that promise
        raise problems[0] if len(problems) == 1 else BankProblems(problems)
    if json_output:
        print_json({"source": str(source), "questions": len(result.questions),
                    "levels": {level.value: count for level, count in result.level_counts.items()},
                    "question_file": str(result.question_file), "rubric_file": str(result.rubric_file)})
    else:
        render_bank.import_summary(result, source=source, out=out)


def register(app: typer.Typer) -> None:
    app.add_typer(bank_app, name="bank")
