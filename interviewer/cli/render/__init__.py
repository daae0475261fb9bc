"""Every rich rendering lives in this package (one module per screen); the rest of the
package never prints."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.text import Text

from interviewer.cli.render.literal import literal

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def error(message: str) -> None:
    # Messages quote files, ids and answers: shown literally (never markup, no raw control characters).
    err_console.print(Text.assemble(("error:", "bold red"), " ", literal(message)), soft_wrap=True)


def warn(message: str) -> None:
    err_console.print(Text.assemble(("note:", "yellow"), " ", literal(message)), soft_wrap=True)


def print_json(data: Any, file: Any = None) -> None:
    """Plain JSON on stdout (or `file`), for scripts (no colour, no wrapping)."""
    out = file if file is not None else sys.stdout
    out.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    out.flush()
