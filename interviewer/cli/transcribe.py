"""Command: transcribe (a recording's transcript and delivery figures)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from interviewer.cli.options import JsonOption


def transcribe(
    file: Annotated[Path, typer.Argument(help="A recording: WAV, FLAC, MP3 (anything FFmpeg reads).", show_default=False)],
    json_output: JsonOption = False,
) -> None:
    """Transcribe a recording offline and show its delivery: words per minute, filler words, long pauses, most-used words.

    Uses faster-whisper with the packaged Whisper tiny.en model (INTERVIEWER_WHISPER_MODEL names
    another model folder); needs the voice extra. --json prints text, duration_s, words_per_minute,
    fillers, filler_count, long_pauses, most_used and every word with its timestamps.
    """
    from interviewer.cli import render
    from interviewer.cli.render.voice import show_transcription
    from interviewer.voice import require_transcription
    from interviewer.voice.files import transcribe_file

    require_transcription()
    spoken = transcribe_file(file)
    if json_output:
        render.print_json({"file": str(file), **spoken.to_json()})
    else:
        show_transcription(file, spoken)


def register(app: typer.Typer) -> None:
    app.command("transcribe")(transcribe)
