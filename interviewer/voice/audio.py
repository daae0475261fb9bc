"""Audio in and out of files: decoding recordings, writing WAV as it is captured, sound levels.

Recordings are 16 kHz mono 16-bit PCM throughout (`SAMPLE_RATE`), the format Whisper listens
at, so a chunk is just bytes and a WAV file needs no conversion to be transcribed.
"""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from interviewer.errors import InputError
from interviewer.voice import SAMPLE_RATE

if TYPE_CHECKING:
    import numpy as np

SAMPLE_WIDTH = 2  # bytes: 16-bit samples
_HEADER_BYTES = 44


class AudioFileError(InputError):
    """A recording that is missing, unreadable or not audio."""


def _resample(samples: "np.ndarray", rate: int) -> "np.ndarray":
    """Linear interpolation to SAMPLE_RATE: plenty for speech recognition."""
    import numpy as np

    if rate == SAMPLE_RATE or samples.size == 0:
        return samples
    count = int(round(samples.size * SAMPLE_RATE / rate))
    positions = np.arange(count, dtype=np.float64) * (rate / SAMPLE_RATE)
    return np.interp(positions, np.arange(samples.size), samples).astype(np.float32)


class _NotPcm(Exception):
    """A WAV file holding compressed audio: FFmpeg reads it instead."""


def _read_wav(path: Path) -> "np.ndarray":
    """A PCM (or float) WAV file as float32 samples at SAMPLE_RATE, mono.

    The data chunk is read to the end of the file when it is the last chunk: a recording cut
    off by a crash between writing a chunk and patching the header loses nothing.
    """
    import numpy as np

    raw = path.read_bytes()
    position, fmt, data = 12, None, None
    while position + 8 <= len(raw):
        chunk_id, size = raw[position:position + 4], struct.unpack("<I", raw[position + 4:position + 8])[0]
        body_start = position + 8
        if chunk_id == b"fmt ":
            fmt = raw[body_start:body_start + size]
        elif chunk_id == b"data":
            end = body_start + size
            data = raw[body_start:] if end >= len(raw) - 1 or size == 0 else raw[body_start:end]
            if size == 0 or end > len(raw):
                break
        position = body_start + size + (size & 1)
    if fmt is None or len(fmt) < 16 or data is None:
        raise AudioFileError(f"{path}: not a readable WAV file (no format or data chunk)")
    tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == 0xFFFE and len(fmt) >= 26:  # WAVE_FORMAT_EXTENSIBLE: the real tag starts the sub-format
        tag = struct.unpack("<H", fmt[24:26])[0]
    if tag not in (1, 3) or channels < 1 or rate < 1000:
        raise _NotPcm()
    width = bits // 8
    usable = len(data) - len(data) % (width * channels)
    if tag == 3 and width in (4, 8):
        samples = np.frombuffer(data[:usable], dtype="<f4" if width == 4 else "<f8").astype(np.float32)
    elif tag == 1 and width in (1, 2, 4):
        dtype = {1: np.uint8, 2: "<i2", 4: "<i4"}[width]
        samples = np.frombuffer(data[:usable], dtype=dtype).astype(np.float32)
        samples = (samples - 128.0) / 128.0 if width == 1 else samples / float(2 ** (bits - 1))
    else:
        raise _NotPcm()
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return _resample(samples, rate)


def read_audio(path: str | os.PathLike[str]) -> "np.ndarray":
    """A recording (WAV, FLAC, MP3, anything FFmpeg reads) as float32 samples, 16 kHz mono.

    Raises AudioFileError naming the file when it is missing, empty or not audio.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"{path}: no such audio file")
    try:
        with path.open("rb") as probe:
            head = probe.read(12)
    except OSError as exc:
        raise AudioFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not head:
        raise AudioFileError(f"{path}: the file is empty")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        try:
            return _read_wav(path)
        except _NotPcm:
            pass  # compressed WAV (ADPCM, mu-law, ...): FFmpeg reads it
        except (OSError, struct.error) as exc:
            raise AudioFileError(f"{path}: not a readable WAV file ({exc})") from None
    try:
        from faster_whisper.audio import decode_audio
    except ImportError:
        from interviewer.voice import INSTALL_HINT

        raise AudioFileError(f"{path}: reading this format needs the voice extra (`{INSTALL_HINT}`)") from None
    try:
        return decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV raises many kinds of errors for files that are not audio
        raise AudioFileError(f"{path}: not a readable audio file ({type(exc).__name__}: {exc})") from None


def pcm16(samples: "np.ndarray") -> bytes:
    """float32 samples in [-1, 1] as 16-bit PCM bytes."""
    import numpy as np

    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def samples_from_pcm16(data: bytes) -> "np.ndarray":
    import numpy as np

    return np.frombuffer(data[: len(data) - len(data) % 2], dtype="<i2").astype(np.float32) / 32768.0


def level_dbfs(chunk: bytes) -> float:
    """The loudness of a chunk of 16-bit PCM: its RMS in dB below full scale (-100 for silence)."""
    import numpy as np

    if len(chunk) < 2:
        return -100.0
    samples = np.frombuffer(chunk[: len(chunk) - len(chunk) % 2], dtype="<i2").astype(np.float64)
    rms = math.sqrt(float(np.mean(samples * samples))) / 32768.0
    return max(-100.0, 20.0 * math.log10(rms)) if rms > 0 else -100.0


class WavWriter:
    """A 16 kHz mono 16-bit WAV file written as it is captured.

    After every chunk the data goes to the operating system and the header's sizes are
    patched, so a process killed at any moment (even SIGKILL) leaves a valid WAV holding
    everything captured up to the last chunk.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO = self.path.open("wb")
        self.frames = 0
        self._file.write(self._header(0))
        self._file.flush()

    @staticmethod
    def _header(data_bytes: int) -> bytes:
        byte_rate = SAMPLE_RATE * SAMPLE_WIDTH
        return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
                + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, SAMPLE_RATE, byte_rate, SAMPLE_WIDTH, 16)
                + b"data" + struct.pack("<I", data_bytes))

    @property
    def seconds(self) -> float:
        return self.frames / SAMPLE_RATE

    def write(self, chunk: bytes) -> None:
        chunk = chunk[: len(chunk) - len(chunk) % SAMPLE_WIDTH]
        if not chunk:
            return
        self._file.seek(0, os.SEEK_END)
        self._file.write(chunk)
        self.frames += len(chunk) // SAMPLE_WIDTH
        data_bytes = self.frames * SAMPLE_WIDTH
        self._file.seek(4)
        self._file.write(struct.pack("<I", 36 + data_bytes))
        self._file.seek(40)
        self._file.write(struct.pack("<I", data_bytes))
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    def __enter__(self) -> "WavWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def duration_seconds(path: str | os.PathLike[str]) -> float:
    """How long a WAV recording of ours is, from its size (right even if its header is stale)."""
    size = Path(path).stat().st_size
    return max(0, size - _HEADER_BYTES) / (SAMPLE_RATE * SAMPLE_WIDTH)
