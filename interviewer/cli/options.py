"""Options shared by several commands, declared once."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

if TYPE_CHECKING:
    from interviewer.grading.judge.config import JudgeOptions


class GraderChoice(str, Enum):
    auto = "auto"
    offline = "offline"
    embedding = "embedding"
    judge = "judge"


GraderOption = Annotated[
    GraderChoice,
    typer.Option(
        "--grader",
        "-g",
        help="offline (instant, no model), embedding (sentence-transformers), judge (an "
        "OpenAI-compatible LLM) or auto (the judge when configured, else embedding, else offline).",
        case_sensitive=False,
    ),
]

BankOption = Annotated[
    Optional[list[Path]],
    typer.Option(
        "--bank",
        help="Add a question bank: a questions YAML file or a folder holding questions/ and "
        "rubrics/. Repeatable. INTERVIEWER_BANKS adds banks too.",
    ),
]

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead.")]

# The LLM judge. The API key is read from OPENAI_API_KEY only: a key on the command line
# would end up in shell history and process listings.
JudgeModelOption = Annotated[
    Optional[str],
    typer.Option(
        "--judge-model",
        help="The judge's model (default: INTERVIEWER_JUDGE_MODEL; gpt-4o-mini on OpenAI; "
        "a local server is asked which model it serves).",
        show_default=False,
    ),
]

JudgeBaseUrlOption = Annotated[
    Optional[str],
    typer.Option(
        "--judge-base-url",
        help="An OpenAI-compatible server for the judge, e.g. http://localhost:11434/v1 for Ollama "
        "(default: OPENAI_BASE_URL, else OpenAI). A local server needs no OPENAI_API_KEY.",
        show_default=False,
    ),
]

JudgeTimeoutOption = Annotated[
    Optional[float],
    typer.Option(
        "--judge-timeout",
        min=0.1,
        help="Seconds to wait for one judge reply; then the answer is graded by the evidence grader "
        "(default: 60; 300 for a server on this machine).",
        show_default=False,
    ),
]

ConcurrencyOption = Annotated[
    Optional[int],
    typer.Option(
        "--concurrency",
        min=1,
        max=64,
        help="How many answers the judge grades at once (default: 8; 1 for a server on this machine, "
        "which generates one reply at a time).",
        show_default=False,
    ),
]


def judge_options(model: Optional[str], base_url: Optional[str], timeout: Optional[float] = None,
                  concurrency: Optional[int] = None) -> "JudgeOptions":
    """Bundle the --judge-* and --concurrency values for build_grader(..., judge=...)."""
    from interviewer.grading.judge.config import JudgeOptions

    return JudgeOptions(model=model, base_url=base_url, timeout=timeout, concurrency=concurrency)


# `-o/--output` names the file a command writes, on every command. `--out`, the older
# spelling of `grade` and `bank import`, still works but is no longer shown.
OutAliasOption = Annotated[Optional[Path], typer.Option("--out", hidden=True, show_default=False)]


def chosen_output(output: Optional[Path], out_alias: Optional[Path]) -> Optional[Path]:
    """The value of -o/--output, or of its old spelling --out (both at once must agree)."""
    if output is not None and out_alias is not None and output != out_alias:
        from interviewer.errors import InputError

        raise InputError(f"--output {output} and --out {out_alias} disagree: give one of them (--out is "
                         "the old name of --output)")
    return output if output is not None else out_alias
