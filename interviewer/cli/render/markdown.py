"""The readable Markdown transcript of `interviewer export --format md`.

Markdown is read in terminals (`cat`, a pager) and editors, so every stored text in it is
shown literally, its control characters visible; the JSON and CSV exports keep the text
verbatim.
"""

from __future__ import annotations

from interviewer.cli.render.literal import visible
from interviewer.review import SessionReport
from interviewer.store.transcripts import TurnRecord


def _line(text: object) -> str:
    """A one-line field: newlines and tabs escaped too."""
    return visible(text, multiline=False)


def _prose(text: object) -> str:
    """Feedback in a list item: its line breaks become spaces."""
    return " ".join(visible(text).split("\n"))


def transcript_markdown(report: SessionReport) -> str:
    session = report.session
    lines = [f"# Interview transcript {session.id[:8]}", ""]
    lines.append(f"- Kind: {session.kind}")
    lines.append(f"- Started: {session.started_at}")
    lines.append(f"- Finished: {session.finished_at or 'no (unfinished)'}")
    if session.level:
        lines.append(f"- Level: {_line(session.level)}")
    if session.grader:
        lines.append(f"- Grader: {_line(session.grader)}")
    if session.source:
        lines.append(f"- Source: {_line(session.source)}")
    if report.mean_score is not None:
        lines.append(f"- Mean score: {report.mean_score:.1f}/100 over {report.answered} answered")
    lines.append("")

    def block(turn: TurnRecord, heading: str) -> None:
        lines.extend([heading, "", *(f"> {line}" for line in visible(turn.prompt).splitlines() or [""]), ""])
        if turn.candidate:
            lines.extend([f"Candidate: {_line(turn.candidate)}", ""])
        if turn.status != "answered":
            lines.extend(["*Skipped.*", ""])
            return
        lines.extend(["**Answer:**", "", *visible(turn.answer or "").splitlines(), ""])
        grade = turn.latest_grade
        if grade is None:
            lines.extend(["*Not graded.*", ""])
            return
        g = grade.grade
        lines.append(f"**Score:** {g.score:.1f}/100 ({g.verdict.value}, {_line(g.grader)} {_line(g.grader_version)})")
        lines.append("")
        for result in g.concepts:
            mark = {"covered": "x", "partly": "~", "missing": " "}[result.status.value]
            quote = f' — "{_line(result.evidence)}"' if result.evidence and result.status.value != "missing" else ""
            if result.error:
                quote = f' — wrong: says "{_line(result.error)}"'
            lines.append(f"- [{mark}] {_line(result.label)}{quote}")
        lines.extend(["", f"- Good: {_prose(g.feedback.good)}", f"- Missing: {_prose(g.feedback.missing)}",
                      f"- Next: {_prose(g.feedback.next_step)}"])
        lines.extend(f"- Warning: {_prose(warning.message)}" for warning in g.warnings)
        lines.append("")

    for row in report.rows:
        block(row.turn, f"## Question {row.number}: {_line(row.turn.question_id)}")
        for follow in row.follow_ups:
            block(follow, "### Follow-up")
    return "\n".join(lines).rstrip() + "\n"
