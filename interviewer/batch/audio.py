"""Recorded answers in a batch: each row's recording is transcribed, and the transcript graded.

A recording that is missing or cannot be read, or in which no speech is recognised, is that
row's error; the batch goes on. The speech model loads on the first recording.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from interviewer.batch.submissions import MAX_ANSWER_CHARS, Submission

if TYPE_CHECKING:
    from interviewer.batch.grading import QuestionResolver


def transcribe_recordings(submissions: Iterator[Submission], *, base: Path,
                          resolver: "QuestionResolver") -> Iterator[Submission]:
    """The submissions, with every recording (a path relative to BASE) replaced by its transcript."""
    from interviewer.errors import InputError
    from interviewer.voice.files import transcribe_file
    from interviewer.voice.vocabulary import context_for

    for submission in submissions:
        if not submission.audio or submission.error or submission.answer:
            yield submission
            continue
        path = Path(submission.audio).expanduser()
        path = path if path.is_absolute() else base / path
        where = f"line {submission.line}: audio '{submission.audio}'"
        _, item, _ = resolver.resolve(submission)
        try:
            spoken = transcribe_file(path, context=context_for(item) if item is not None else None)
        except InputError as exc:
            message = exc.message.removeprefix(f"{path}: ")
            yield replace(submission, audio=str(path), error=f"{where}: {message}")
            continue
        text = spoken.transcript.text.strip()
        if not text:
            yield replace(submission, audio=str(path), error=f"{where}: no speech recognised in the recording")
            continue
        yield replace(submission, audio=str(path), answer=text[:MAX_ANSWER_CHARS], transcript=text,
                      delivery=spoken.delivery.to_json())
