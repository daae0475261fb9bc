"""Where recorded sound comes from: the microphone, or a recording standing in for it.

An AudioSource is opened, read chunk by chunk (16 kHz mono 16-bit PCM bytes, about
`CHUNK_SECONDS` each, each read waiting for its chunk as a microphone does), and closed. The
file-backed source replays a recording at the pace it was spoken, so everything downstream (the
level meter, the silence that ends an answer, the WAV written as it is captured) behaves as it
would with a microphone; it never imports sounddevice, so it works where there is no sound card.
"""

from __future__ import annotations

import os
import queue
import time
from pathlib import Path
from typing import Protocol

from interviewer.errors import InputError
from interviewer.voice import INSTALL_HINT, SAMPLE_RATE, VoiceUnavailable

CHUNK_SECONDS = 0.1
CHUNK_FRAMES = int(SAMPLE_RATE * CHUNK_SECONDS)
AUDIO_SOURCE_ENV = "INTERVIEWER_AUDIO_SOURCE"
# "fast": replayed recordings are read as fast as they can be, not at the pace they were spoken.
REPLAY_PACE_ENV = "INTERVIEWER_AUDIO_PACE"
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".m4a", ".opus", ".webm")


class AudioSource(Protocol):
    name: str

    def open(self) -> None: ...
    def read(self) -> bytes | None:
        """The next chunk (waiting for it), or None when the source has nothing more."""
    def close(self) -> None: ...


class MicrophoneSource:
    """The default input device, through sounddevice (PortAudio)."""

    name = "microphone"

    def __init__(self) -> None:
        self._chunks: queue.Queue[bytes] = queue.Queue()
        self._stream = None

    def open(self) -> None:
        try:
            import sounddevice
        except (ImportError, OSError) as exc:  # OSError: the PortAudio library itself is missing
            raise VoiceUnavailable(
                f"recording from the microphone needs sounddevice and PortAudio ({exc}): install the voice "
                f"extra with `{INSTALL_HINT}` and PortAudio (Debian/Ubuntu: `apt install libportaudio2`), "
                f"or answer from a recording with --audio-from FILE"
            ) from None

        def captured(data, frames, when, status) -> None:  # type: ignore[no-untyped-def]
            self._chunks.put(bytes(data))

        try:
            self._stream = sounddevice.RawInputStream(
                samplerate=SAMPLE_RATE, channels=1, dtype="int16", blocksize=CHUNK_FRAMES, callback=captured)
            self._stream.start()
        except Exception as exc:  # PortAudioError: no input device, busy device, ...
            raise InputError(
                f"cannot record from the microphone ({exc}); answer from a recording with --audio-from FILE "
                f"(or {AUDIO_SOURCE_ENV}), or practise without --voice"
            ) from None

    def read(self) -> bytes | None:
        try:
            return self._chunks.get(timeout=2.0)
        except queue.Empty:
            return b""  # the device stalled: no sound this time, the recorder keeps the clock

    def close(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None


class FileSource:
    """A recording replayed in real time, as if spoken into a microphone.

    `realtime=False` hands the chunks over as fast as they are read (for scripts and tests
    that do not need the pace).
    """

    def __init__(self, path: str | os.PathLike[str], *, realtime: bool = True) -> None:
        self.path = Path(path)
        self.name = f"file {self.path.name}"
        self.realtime = realtime
        self._data = b""
        self._offset = 0
        self._started = 0.0

    def open(self) -> None:
        from interviewer.voice.audio import pcm16, read_audio

        self._data = pcm16(read_audio(self.path))
        self._offset = 0
        self._started = time.monotonic()

    def read(self) -> bytes | None:
        if self._offset >= len(self._data):
            return None
        chunk = self._data[self._offset:self._offset + CHUNK_FRAMES * 2]
        self._offset += len(chunk)
        if self.realtime:
            due = self._started + self._offset / (2 * SAMPLE_RATE)
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return chunk

    def close(self) -> None:
        self._data = b""


class ReplaySource:
    """Recordings named by --audio-from or INTERVIEWER_AUDIO_SOURCE: a file is replayed for every
    recording; a folder's audio files are taken one per recording in name order (then from the
    first again)."""

    def __init__(self, location: str | os.PathLike[str], *, realtime: bool | None = None) -> None:
        self.location = Path(location).expanduser()
        self.realtime = realtime if realtime is not None else os.environ.get(REPLAY_PACE_ENV, "").lower() != "fast"
        if self.location.is_dir():
            self.files = sorted(path for path in self.location.iterdir()
                                if path.suffix.lower() in AUDIO_SUFFIXES and path.is_file())
            if not self.files:
                raise InputError(f"{self.location}: no audio files ({', '.join(AUDIO_SUFFIXES)}) in this folder")
        elif self.location.is_file():
            self.files = [self.location]
        else:
            raise InputError(f"{self.location}: no such audio file or folder (from --audio-from or {AUDIO_SOURCE_ENV})")
        self.taken = 0

    def next_source(self) -> FileSource:
        path = self.files[self.taken % len(self.files)]
        self.taken += 1
        return FileSource(path, realtime=self.realtime)


def replay_location(option: str | os.PathLike[str] | None) -> Path | None:
    """The recording(s) standing in for the microphone: the option, else the environment."""
    value = option if option is not None else os.environ.get(AUDIO_SOURCE_ENV) or None
    return Path(value) if value is not None else None
