"""The `interviewer` command line. Commands are thin: parse options, call plain functions, render.

Nothing heavy (torch, sentence-transformers, openai) is imported here: `--help` stays instant.
"""

from __future__ import annotations

from typing import Annotated, Optional

import click
import typer
from typer.core import TyperGroup

from interviewer import __version__
from interviewer.errors import InterviewerError


class _FriendlyErrors(TyperGroup):
    """Turns an InterviewerError raised anywhere below into one red line and its exit code."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
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


def _register_commands() -> None:
    from interviewer.cli import bank, evaluate, grade, practice, review

    for module in (practice, review, grade, evaluate, bank):
        module.register(app)


_register_commands()


def main() -> None:
    app()
