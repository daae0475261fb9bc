"""Transcribing a recording and measuring its delivery in one call (for `transcribe` and batch)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from interviewer.voice.delivery import Delivery, measure
from interviewer.voice.transcriber import Transcriber, Transcript, shared_transcriber


@dataclass
class SpokenAnswer:
    transcript: Transcript
    delivery: Delivery

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.transcript.text,
            **self.delivery.to_json(),
            "transcribe_seconds": self.transcript.seconds_taken,
            "words_timed": [{"word": word.text, "start": word.start, "end": word.end,
                             "probability": word.probability} for word in self.transcript.words],
        }


def transcribe_file(path: str | os.PathLike[str], *, context: str | None = None,
                    transcriber: Transcriber | None = None) -> SpokenAnswer:
    """The transcript and delivery figures of one recording (AudioFileError when unreadable)."""
    transcript = (transcriber or shared_transcriber()).transcribe(path, context=context)
    return SpokenAnswer(transcript=transcript, delivery=measure(transcript.words, transcript.duration_s))
