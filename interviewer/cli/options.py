"""Options shared by several commands, declared once."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer


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
