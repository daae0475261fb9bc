"""The `interviewer` command line. Commands are thin: parse options, call plain functions, render.

Nothing heavy (torch, sentence-transformers, openai) is imported here: `--help` stays instant.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from interviewer import __version__
from interviewer.errors import InterviewerError


class _FriendlyErrors(TyperGroup):
    """Turns an InterviewerError raised anywhere below into one red line and its exit code."""

    def invoke(self, ctx: typer.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except InterviewerError as exc:
            from interviewer.cli import render

            render.error(exc.message)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_FriendlyErrors,
    name="interviewer",
    help="A coach for deep learning and NLP oral interviews: asks questions, grades your "
    "answers against rubrics, and keeps every graded transcript so you can see progress.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"interviewer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit."),
    ] = None,
) -> None:
    """A coach for deep learning and NLP oral interviews."""


# typer 0.2x labels each option's value in --help with a Python type (`<bool>`, `<str>`,
# `<list[Path]>`, `<int range>`). Show what to type instead, the way click always did:
# nothing for a flag, TEXT, INTEGER, FLOAT, PATH, or the choices. An explicit metavar wins.
_VALUE_WORDS = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "bool": "BOOLEAN", "path": "PATH",
                "file": "FILE", "directory": "DIRECTORY", "datetime": "DATETIME"}


def _value_word(label: str) -> str:
    inner = label[1:-1]
    if inner.startswith("list[") and inner.endswith("]"):
        inner = inner[5:-1]
    inner = inner.removesuffix(" range")
    if "|" in inner:
        return f"[{inner}]"
    return _VALUE_WORDS.get(inner.lower(), inner.upper())


def _help_names_values_not_python_types() -> None:
    from typer import core

    for cls in (getattr(core, "TyperOption", None), getattr(core, "TyperArgument", None)):
        original = getattr(cls, "display_type_rich", None)
        if original is None:  # older typer: click's own words already
            continue

        def display_type_rich(self, ctx, _original=original):  # type: ignore[no-untyped-def]
            if getattr(self, "metavar", None) is not None and hasattr(self, "is_flag"):  # an option's own word
                return _original(self, ctx=ctx)
            if getattr(self, "is_flag", False) or getattr(self, "count", False):
                return None
            label = _original(self, ctx=ctx)
            if isinstance(label, str) and label.startswith("<") and label.endswith(">"):
                return _value_word(label)
            return label

        cls.display_type_rich = display_type_rich


_help_names_values_not_python_types()


def _register_commands() -> None:
    from interviewer.cli import bank, evaluate, grade, practice, review, transcribe

    for module in (practice, review, grade, evaluate, bank, transcribe):
        module.register(app)


_register_commands()


def main() -> None:
    app()
