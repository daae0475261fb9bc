"""Text to speech with espeak-ng (the Debian package `espeak-ng`), never blocking the caller.

`INTERVIEWER_SPEECH_DIR` sends the speech to numbered WAV files in that folder instead of the
speakers: for a machine without sound output, and to check what was said.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

SPEECH_DIR_ENV = "INTERVIEWER_SPEECH_DIR"
WORDS_PER_MINUTE = 165  # espeak-ng's default (175) is brisk for technical questions


class Speaker:
    """Reads texts aloud one at a time; `stop()` silences it (before recording starts)."""

    def __init__(self, *, program: str | None = None, speech_dir: str | os.PathLike[str] | None = None) -> None:
        self.program = program or shutil.which("espeak-ng")
        directory = speech_dir if speech_dir is not None else os.environ.get(SPEECH_DIR_ENV) or None
        self.speech_dir = Path(directory) if directory else None
        self._process: subprocess.Popen[bytes] | None = None
        self._spoken = 0
        self.failure: str | None = None  # why speech could not be played, once known

    @property
    def available(self) -> bool:
        return self.program is not None

    def say(self, text: str) -> Path | None:
        """Start reading TEXT aloud (stopping what was being read); returns the WAV file when
        speech goes to INTERVIEWER_SPEECH_DIR."""
        if self.program is None or self.failure is not None:
            return None
        self.stop()
        self._spoken += 1
        command = [self.program, "-s", str(WORDS_PER_MINUTE)]
        target = None
        if self.speech_dir is not None:
            self.speech_dir.mkdir(parents=True, exist_ok=True)
            target = self.speech_dir / f"speech-{os.getpid()}-{self._spoken:03d}.wav"
            command += ["-w", str(target)]
        command += ["--", text]
        try:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.PIPE)
        except OSError as exc:
            self.failure = f"espeak-ng could not start ({exc.strerror or exc})"
            return None
        threading.Thread(target=self._watch, args=(self._process,), daemon=True, name="speech").start()
        return target

    def _watch(self, process: subprocess.Popen[bytes]) -> None:
        """espeak-ng exits 0 even when it cannot open the sound device: read what it says."""
        _, errors = process.communicate()
        if process.returncode not in (0, -15) or (errors and b"error" in errors.lower() and process.returncode == 0):
            message = errors.decode("utf-8", "replace").strip().splitlines()
            self.failure = "no sound output (" + (message[-1] if message else f"exit code {process.returncode}") + ")"

    def wait(self, timeout: float | None = None) -> None:
        if self._process is not None:
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass

    def stop(self) -> None:
        if self._process is not None and self.speech_dir is not None:
            # Speech into a file is not heard by the microphone: let the WAV be written whole.
            self.wait(10)
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(2)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None


def synthesize(text: str, path: str | os.PathLike[str], *, words_per_minute: int = WORDS_PER_MINUTE,
               voice: str | None = None) -> Path:
    """Speak TEXT into the WAV file PATH and wait (tests and benchmarks make recordings so)."""
    program = shutil.which("espeak-ng")
    if program is None:
        raise FileNotFoundError("espeak-ng is not installed (Debian/Ubuntu: apt install espeak-ng)")
    command = [program, "-s", str(words_per_minute), "-w", str(path)]
    if voice:
        command += ["-v", voice]
    subprocess.run([*command, "--", text], check=True, capture_output=True)
    return Path(path)
