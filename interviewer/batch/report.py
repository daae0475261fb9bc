"""A self-contained HTML report of a batch run: inline CSS, no scripts, no network resources.

Every value from a submission or a grade is HTML-escaped. Row details are streamed to
a temporary file as rows are graded; `finish` writes the page (summary first, then the
details) and moves it into place, so memory stays flat however many rows there are.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from html import escape
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from interviewer.errors import write_error
from interviewer.grading.models import Grade

if TYPE_CHECKING:
    from interviewer.batch.summary import BatchSummary, ScoreStats

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:70rem;
padding:0 1rem;color:#1d232a;background:#fff}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
.meta{color:#5b6570;font-size:.9rem}table{border-collapse:collapse;margin:.5rem 0;font-size:.92rem}
th,td{padding:.25rem .6rem;text-align:left;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f5f7f9}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem}
.card b{display:block;font-size:1.4rem}.bar{background:#4c7bd9;height:.9rem;display:inline-block}
details{border:1px solid #e2e6ea;border-radius:6px;margin:.4rem 0;padding:.3rem .7rem}
summary{cursor:pointer}.answer{white-space:pre-wrap;background:#f7f7f5;padding:.5rem;border-radius:4px}
.v-strong{color:#1b7f3b}.v-good{color:#3a6fb0}.v-partial{color:#a86b00}.v-weak{color:#b3261e}
.tag{font-size:.8rem;border-radius:3px;padding:0 .35rem;margin-left:.4rem}
.review{background:#fff1c2}.error{background:#fbd9d6}.covered{color:#1b7f3b}.partly{color:#a86b00}
.missing{color:#b3261e}
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


class ReportSink:
    """Where per-row details go for the HTML report (`HtmlReport` below).

    This base keeps nothing: the run without --report.
    """

    wants_details = False

    def add(self, record: dict[str, Any], answer: str, grade: Grade | None, *, audio: str = "") -> None: ...

    def finish(self, summary: BatchSummary) -> None: ...

    def discard(self) -> None: ...


class HtmlReport(ReportSink):
    wants_details = True

    def __init__(self, path: Path, summary: BatchSummary) -> None:
        self.path = Path(path)
        self.summary = summary
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent)
        except OSError as exc:
            raise write_error(self.path, exc, "the report") from None
        self._details_path = Path(name)
        self._details: IO[str] = os.fdopen(descriptor, "w", encoding="utf-8")

    def add(self, record: dict[str, Any], answer: str, grade: Grade | None, *, audio: str = "") -> None:
        try:
            self._details.write(row_html(record, answer, grade, audio=audio))
        except OSError as exc:
            raise write_error(self.path, exc, "the report") from None

    def discard(self) -> None:
        try:
            self._details.close()
        except OSError:
            pass  # what could not be written is being thrown away
        self._details_path.unlink(missing_ok=True)

    def finish(self, summary: BatchSummary) -> None:
        try:
            self._details.close()
        except OSError as exc:
            self.discard()
            raise write_error(self.path, exc, "the report") from None
        final = self.path.with_name(f".{self.path.name}.tmp")
        try:
            with final.open("w", encoding="utf-8") as page, self._details_path.open(encoding="utf-8") as details:
                page.write(_head(summary))
                page.write(summary_html(summary))
                page.write(f"<h2>Answers ({summary.rows:,})</h2>\n")
                shutil.copyfileobj(details, page)
                page.write("</body>\n</html>\n")
            os.replace(final, self.path)
        except OSError as exc:
            raise write_error(self.path, exc, "the report") from None
        finally:
            self._details_path.unlink(missing_ok=True)
            final.unlink(missing_ok=True)


def _head(summary: BatchSummary) -> str:
    title = f"Graded: {Path(summary.source).name}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{_e(title)}</h1>\n"
        f"<p class=\"meta\">Source: {_e(summary.source)}<br>Output: {_e(summary.output)}<br>"
        f"Grader chosen: {_e(summary.grader)}</p>\n"
    )


def _stats_table(title: str, key: str, stats: dict[str, ScoreStats]) -> str:
    if not stats:
        return ""
    rows = "".join(
        f"<tr><td>{_e(name or '(none)')}</td><td class=\"num\">{s.count}</td>"
        f"<td class=\"num\">{_e(s.mean)}</td><td class=\"num\">{_e(s.median)}</td></tr>\n"
        for name, s in sorted(stats.items())
    )
    return (
        f"<h2>{_e(title)}</h2>\n<table><tr><th>{_e(key)}</th><th>Answers</th><th>Mean</th>"
        f"<th>Median</th></tr>\n{rows}</table>\n"
    )


def _fallbacks_html(summary: BatchSummary) -> str:
    if not summary.fallbacks:
        return ""
    rows = "".join(f"<tr><td>{_e(reason)}</td><td class=\"num\">{count:,}</td></tr>\n"
                   for reason, count in summary.fallback_reasons.items())
    return (f"<h2>Fell back to another grader ({summary.fallbacks:,})</h2>\n"
            f"<table><tr><th>Why</th><th>Answers</th></tr>\n{rows}</table>\n")


def summary_html(summary: BatchSummary) -> str:
    overall = summary.overall
    cards = "".join(
        f"<div class=\"card\">{_e(label)}<b>{_e(value)}</b></div>"
        for label, value in (
            ("Rows", f"{summary.rows:,}"), ("Graded", f"{summary.graded:,}"), ("Errors", f"{summary.errors:,}"),
            ("Needs review", f"{summary.needs_review:,}"), ("Fell back", f"{summary.fallbacks:,}"),
            ("Mean score", overall.mean if overall.mean is not None else "-"),
            ("Median score", overall.median if overall.median is not None else "-"),
        )
    )
    peak = max(summary.histogram) or 1
    width = 100 // len(summary.histogram)
    bars = "".join(
        f"<tr><td>{i * width}-{(i + 1) * width}</td><td class=\"num\">{count}</td>"
        f"<td><span class=\"bar\" style=\"width:{count / peak * 20:.2f}rem\"></span></td></tr>\n"
        for i, count in enumerate(summary.histogram)
    )
    parts = [
        f"<h2>Summary</h2>\n<div class=\"cards\">{cards}</div>\n",
        f"<h2>Score histogram</h2>\n<table><tr><th>Score</th><th>Answers</th><th></th></tr>\n{bars}</table>\n",
        _stats_table("Per grader", "Grader", summary.per_grader),
        _fallbacks_html(summary),
        _stats_table("Per question", "Question", summary.per_question),
        _stats_table("Per candidate", "Candidate", summary.per_candidate),
    ]
    if summary.review:
        rows = "".join(
            f"<tr><td><a href=\"#row-{_e(r['id'])}\">{_e(r['id'])}</a></td><td>{_e(r['candidate'])}</td>"
            f"<td>{_e(r['question_id'])}</td><td class=\"num\">{_e(r['score'])}</td></tr>\n"
            for r in summary.review
        )
        more = summary.needs_review - len(summary.review)
        parts.append(
            f"<h2>Needing review ({summary.needs_review:,})</h2>\n<table><tr><th>Row id</th><th>Candidate</th>"
            f"<th>Question</th><th>Score</th></tr>\n{rows}</table>\n"
            + (f"<p class=\"meta\">and {more:,} more (marked below)</p>\n" if more > 0 else "")
        )
    if summary.error_rows:
        rows = "".join(
            f"<tr><td>{_e(r['id'])}</td><td>{_e(r['error'])}</td></tr>\n" for r in summary.error_rows
        )
        parts.append(f"<h2>Rows with errors ({summary.errors:,})</h2>\n<table><tr><th>Row id</th>"
                     f"<th>Error</th></tr>\n{rows}</table>\n")
    return "".join(parts)


def row_html(record: dict[str, Any], answer: str, grade: Grade | None, *, audio: str = "") -> str:
    """One answer's details: the answer (a recording's transcript), score, concepts with evidence, feedback."""
    verdict = record.get("verdict") or ""
    tags = ""
    if record.get("error"):
        tags += "<span class=\"tag error\">error</span>"
    if record.get("needs_review"):
        tags += "<span class=\"tag review\">needs review</span>"
    if record.get("grader"):
        tags += f"<span class=\"tag{' review' if record.get('fallback_reason') else ''}\">{_e(record['grader'])}</span>"
    score = f"{record['score']}" if record.get("score") is not None else "-"
    head = (
        f"<details id=\"row-{_e(record['id'])}\"><summary><b>{_e(record['id'])}</b> "
        f"{_e(record.get('candidate'))} &middot; {_e(record.get('question_id'))} &middot; "
        f"<span class=\"v-{_e(verdict)}\">{_e(score)} {_e(verdict)}</span>{tags}</summary>\n"
    )
    body = [f"<p><b>Transcript of {_e(audio)}:</b></p>\n"] if audio else []
    body.append(f"<div class=\"answer\">{_e(answer)}</div>\n")
    if record.get("error"):
        body.append(f"<p class=\"missing\">{_e(record['error'])}</p>\n")
    if record.get("fallback_reason"):
        body.append(f"<p class=\"partly\"><b>Graded by {_e(record.get('grader'))}, not the chosen grader:</b> "
                    f"{_e(record['fallback_reason'])}</p>\n")
    if grade is not None:
        concepts = "".join(
            f"<tr><td>{_e(c.label)}</td><td class=\"{_e(c.status.value)}\">{_e(c.status.value)}</td>"
            f"<td>{_e(c.evidence) if c.evidence else ''}</td></tr>\n"
            for c in grade.concepts
        )
        if concepts:
            body.append(f"<table><tr><th>Concept</th><th>Status</th><th>Evidence</th></tr>\n{concepts}</table>\n")
        reason = grade.details.get("review_reason") if grade.needs_review else None
        if reason:
            body.append(f"<p class=\"partly\"><b>Needs review:</b> {_e(reason)}</p>\n")
        for warning in grade.warnings:
            body.append(f"<p class=\"partly\">{_e(warning.message)}</p>\n")
        body.append(
            f"<p><b>Good:</b> {_e(grade.feedback.good)}<br><b>Missing:</b> {_e(grade.feedback.missing)}"
            f"<br><b>Next step:</b> {_e(grade.feedback.next_step)}</p>\n"
        )
    elif not record.get("error"):
        body.append(
            f"<p><b>Covered:</b> {_e(record.get('covered'))}<br><b>Missing:</b> {_e(record.get('missing'))}"
            f"<br>{_e(record.get('feedback'))}</p>\n"
        )
    return head + "".join(body) + "</details>\n"
