"""Rendering for `interviewer grade`: the progress display and the end-of-run summary."""

from __future__ import annotations

import time
from collections.abc import Iterator
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


class RunDisplay:
    """What a run reports as it goes: `step(what)` before a slow step, `advance(n)` as rows are done."""

    def step(self, what: str) -> None: ...

    def advance(self, count: int) -> None: ...


@contextmanager
def progress(total: int | None, *, quiet: bool) -> Iterator[RunDisplay]:
    """A live bar (the current step, rate, ETA) on a terminal; else a plain line now and then."""
    if quiet:
        yield RunDisplay()
        return
    if not err_console.is_terminal:
        yield _PlainLines(total)
        return

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
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
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
        _Rate(""), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=err_console, transient=True,
    ) as bar:
        task = bar.add_task("starting", total=total)

        class _Bar(RunDisplay):
            graded = False

            def step(self, what: str) -> None:
                bar.update(task, description=Text(what).plain)

            def advance(self, count: int) -> None:
                if not self.graded:
                    self.graded = True
                    bar.update(task, description="grading")
                bar.advance(task, count)

        yield _Bar()


class _PlainLines(RunDisplay):
    """Progress for a log: each step once, then the rows done every few seconds."""

    def __init__(self, total: int | None) -> None:
        self.total, self.done, self.last = total, 0, time.monotonic()

    def step(self, what: str) -> None:
        err_console.print(Text(f"{what}...", style="dim"), soft_wrap=True)

    def advance(self, count: int) -> None:
        self.done += count
        if time.monotonic() - self.last >= PLAIN_EVERY_SECONDS:
            self.last = time.monotonic()
            of = f"/{self.total:,}" if self.total else ""
            err_console.print(f"graded {self.done:,}{of} rows", soft_wrap=True)


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


def _graders(result: BatchSummary) -> None:
    """Which grader graded how many answers, and why some fell back (only when not all were the chosen one)."""
    if set(result.per_grader) <= {result.grader}:
        return
    line = Text("graded by: ")
    for index, (name, stats) in enumerate(sorted(result.per_grader.items(), key=lambda kv: -kv[1].count)):
        line.append(", " if index else "")
        line.append(f"{name or '(none)'} {stats.count:,} (mean {stats.mean:.1f})",
                    style="" if name == result.grader else "yellow")
    console.print(line, soft_wrap=True)
    if result.fallbacks:
        why = Text(f"{_count(result.fallbacks, 'answer')} fell back to another grader: ", style="yellow")
        why.append(visible("; ".join(f"{reason} ({count:,})" for reason, count in result.fallback_reasons.items()),
                           multiline=False))
        console.print(why, soft_wrap=True)


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
    if result.redone:
        head.append(f" ({result.redone:,} graded again from the first row the judge had failed on)", style="dim")
    out.print(head)
    usage = result.judge_usage
    if usage.any:
        out.print(f"judge: {_count(usage.judged, 'answer')} judged, {usage.cached:,} from the cache; "
                  f"{usage.total_tokens:,} tokens ({usage.prompt_tokens:,} prompt, "
                  f"{usage.completion_tokens:,} completion)")
    if result.overall.count:
        out.print(f"score: mean {result.overall.mean:.1f}, median {result.overall.median:.1f}  "
                  f"(grader: {visible(result.grader, multiline=False)})", markup=False)
        _graders(result)
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
