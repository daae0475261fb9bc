"""Rendering for `interviewer grade`: the progress display and the end-of-run summary."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from interviewer.cli.render import console, err_console
from interviewer.cli.render.literal import field, literal, visible

if TYPE_CHECKING:
    from interviewer.batch.summary import BatchSummary, ScoreStats

TABLE_ROWS = 20  # per-candidate / review / error rows shown; --json and --report list them all
PLAIN_EVERY_SECONDS = 5.0

_VERDICT_STYLE = {"strong": "green", "good": "blue", "partial": "yellow", "weak": "red"}


@contextmanager
def progress(total: int | None, *, quiet: bool) -> Iterator[Callable[[int], None]]:
    """Yield `advance(n)`. A live bar (rate, ETA) on a terminal; else a plain line now and then."""
    if quiet:
        yield lambda count: None
        return
    if not err_console.is_terminal:
        done, last = 0, time.monotonic()

        def advance(count: int) -> None:
            nonlocal done, last
            done += count
            if time.monotonic() - last >= PLAIN_EVERY_SECONDS:
                last = time.monotonic()
                of = f"/{total:,}" if total else ""
                err_console.print(f"graded {done:,}{of} rows", soft_wrap=True)

        yield advance
        return

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    class _Rate(TextColumn):
        def render(self, task):  # type: ignore[no-untyped-def]
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f} rows/s" if speed else "", style="cyan")

    with Progress(
        TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
        _Rate(""), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=err_console, transient=True,
    ) as bar:
        task = bar.add_task("grading", total=total)
        yield lambda count: bar.advance(task, count)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _stats_table(title: str, key: str, stats: dict[str, ScoreStats], limit: int | None) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False)
    table.add_column(key)
    table.add_column("answers", justify="right")
    table.add_column("mean", justify="right")
    table.add_column("median", justify="right")
    items = sorted(stats.items())
    for name, s in items[:limit] if limit else items:
        table.add_row(field(name) if name else "(none)", str(s.count), f"{s.mean:.1f}", f"{s.median:.1f}")
    return table


def summary(result: BatchSummary) -> None:
    out = console
    head = Text()
    head.append(f"{_count(result.rows, 'row')}: ", style="bold")
    head.append(f"{result.graded:,} graded", style="green")
    head.append(", ")
    head.append(_count(result.errors, "error"), style="red" if result.errors else "")
    head.append(", ")
    head.append(f"{result.needs_review:,} {'needs' if result.needs_review == 1 else 'need'} review",
                style="yellow" if result.needs_review else "")
    if result.resumed:
        head.append(f" ({result.resumed:,} resumed from the earlier run)", style="dim")
    out.print(head)
    usage = result.judge_usage
    if usage.any:
        out.print(f"judge: {_count(usage.judged, 'answer')} judged, {usage.cached:,} from the cache; "
                  f"{usage.total_tokens:,} tokens ({usage.prompt_tokens:,} prompt, "
                  f"{usage.completion_tokens:,} completion)")
    if result.overall.count:
        out.print(f"score: mean {result.overall.mean:.1f}, median {result.overall.median:.1f}  "
                  f"(grader: {visible(result.grader, multiline=False)})", markup=False)
        out.print()
        histogram = Table(title="score histogram", title_justify="left", show_edge=False, show_header=False)
        histogram.add_column(justify="right")
        histogram.add_column()
        histogram.add_column(justify="right")
        peak = max(result.histogram) or 1
        width = 100 // len(result.histogram)
        for index, count in enumerate(result.histogram):
            low = index * width
            style = _VERDICT_STYLE["strong" if low >= 80 else "good" if low >= 60 else "partial" if low >= 40 else "weak"]
            histogram.add_row(f"{low}-{low + width}", Text("█" * round(count / peak * 40), style=style), str(count))
        out.print(histogram)
        out.print()
        out.print(_stats_table("per question", "question", result.per_question, None))
        out.print()
        candidates = {name: s for name, s in result.per_candidate.items() if name}
        if candidates:
            out.print(_stats_table("per candidate", "candidate", candidates, TABLE_ROWS))
            if len(candidates) > TABLE_ROWS:
                out.print(f"[dim]and {len(candidates) - TABLE_ROWS:,} more candidates (see --json or --report)[/]")
            out.print()
    if result.review:
        table = Table(title=f"needing review ({result.needs_review:,})", title_justify="left", show_edge=False)
        for column in ("id", "candidate", "question", "score"):
            table.add_column(column, justify="right" if column == "score" else "left")
        for row in result.review[:TABLE_ROWS]:
            table.add_row(field(row["id"]), field(row["candidate"]), field(row["question_id"]), f"{row['score']:.1f}")
        out.print(table)
        out.print()
    if result.error_rows:
        table = Table(title=f"rows with errors ({result.errors:,})", title_justify="left", show_edge=False)
        table.add_column("id")
        table.add_column("error", style="red")
        for row in result.error_rows[:TABLE_ROWS]:
            table.add_row(field(row["id"]), literal(row["error"]))
        out.print(table)
        out.print()
    out.print(Text(f"wrote {visible(result.output, multiline=False)}"), soft_wrap=True)
    if result.report:
        out.print(Text(f"report {visible(result.report, multiline=False)}"), soft_wrap=True)
