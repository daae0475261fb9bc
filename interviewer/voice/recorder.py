"""One recording: read an audio source into a WAV file until the candidate is done.

A recording ends when the candidate presses Enter (`stop_requested`), after `silence_seconds`
of silence once they have spoken (or `lead_in_seconds` of silence when they never start), when
the source has nothing more (a replayed file ends), or at `max_seconds`. "Silence" is a chunk
quieter than `silence_dbfs` (RMS, dB below full scale): a quiet room reads around -60 dBFS,
speech a hand's width from a laptop microphone -35 to -20.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from interviewer.voice import SAMPLE_RATE
from interviewer.voice.audio import WavWriter, level_dbfs
from interviewer.voice.sources import AudioSource

SILENCE_SECONDS = 3.0
SILENCE_DBFS = -45.0
LEAD_IN_SECONDS = 15.0
MAX_SECONDS = 600.0


@dataclass(frozen=True)
class RecordingSettings:
    silence_seconds: float = SILENCE_SECONDS
    silence_dbfs: float = SILENCE_DBFS
    lead_in_seconds: float = LEAD_IN_SECONDS
    max_seconds: float = MAX_SECONDS


@dataclass(frozen=True)
class Recording:
    path: Path
    seconds: float
    ended_by: str  # enter | silence | end_of_source | time_limit
    heard_speech: bool


def record(
    source: AudioSource,
    path: Path,
    *,
    settings: RecordingSettings = RecordingSettings(),
    stop_requested: Callable[[], bool] = lambda: False,
    on_chunk: Callable[[bytes, float, float], None] | None = None,
    on_started: Callable[[Path], None] | None = None,
) -> Recording:
    """Record from SOURCE into the WAV file PATH (written as captured).

    `on_chunk(chunk, level_dbfs, elapsed_seconds)` hears every chunk (the level meter, the
    transcription under way);
    `on_started(path)` runs once the file exists, so the caller can note where it is.
    """
    quiet_run = 0.0
    heard = False
    ended_by = "end_of_source"
    with WavWriter(path) as writer:
        if on_started is not None:
            on_started(path)
        source.open()
        try:
            while True:
                chunk = source.read()
                if chunk is None:
                    break
                writer.write(chunk)
                seconds = len(chunk) / 2 / SAMPLE_RATE
                level = level_dbfs(chunk)
                if level >= settings.silence_dbfs:
                    heard, quiet_run = True, 0.0
                else:
                    quiet_run += seconds
                if on_chunk is not None:
                    on_chunk(chunk, level, writer.seconds)
                if stop_requested():
                    ended_by = "enter"
                    break
                if quiet_run >= (settings.silence_seconds if heard else settings.lead_in_seconds):
                    ended_by = "silence"
                    break
                if writer.seconds >= settings.max_seconds:
                    ended_by = "time_limit"
                    break
        finally:
            source.close()
        return Recording(path=path, seconds=writer.seconds, ended_by=ended_by, heard_speech=heard)
