"""Voice pieces that need no model: delivery figures, WAV files written as captured, sources."""

from __future__ import annotations

import shutil
import struct
import wave
from dataclasses import dataclass

import pytest

np = pytest.importorskip("numpy")

from interviewer.voice.audio import WavWriter, duration_seconds, level_dbfs, read_audio  # noqa: E402
from interviewer.voice.delivery import find_fillers, measure  # noqa: E402
from interviewer.voice.recorder import RecordingSettings, record  # noqa: E402
from interviewer.voice.sources import FileSource, ReplaySource  # noqa: E402


@dataclass
class W:
    text: str
    start: float
    end: float


def timed(text: str, gap_after: dict[int, float] | None = None) -> list[W]:
    words, at = [], 0.0
    for index, word in enumerate(text.split()):
        words.append(W(word, at, at + 0.3))
        at += 0.4 + (gap_after or {}).get(index, 0.0)
    return words


def test_fillers_count_hesitations_always_and_like_only_when_set_off():
    counts, _ = find_fillers("Um, it's, like, a matrix, you know, that looks like a table. Uh basically yes.".split())
    assert counts == {"um": 1, "like": 1, "you know": 1, "uh": 1, "basically": 1}
    counts, _ = find_fillers("I would like to say you know the answer so well".split())
    assert counts == {}


def test_pace_pauses_and_most_used_words():
    words = timed("the gradient flows back and the gradient of the loss gives every weight its gradient",
                  gap_after={4: 2.5})
    delivery = measure(words, duration_s=12.0)
    assert delivery.words == 15
    assert delivery.speaking_s == pytest.approx(words[-1].end - words[0].start)
    assert delivery.words_per_minute == pytest.approx(15 / (delivery.speaking_s / 60), rel=0.01)
    assert [pause["after"] for pause in delivery.long_pauses] == ["and"]
    assert delivery.long_pauses[0]["seconds"] == pytest.approx(2.6, abs=0.01)
    assert delivery.most_used[0] == {"word": "gradient", "count": 3}
    assert measure([], 3.0).words_per_minute is None


def test_a_wav_being_written_is_complete_up_to_its_last_chunk(tmp_path):
    path = tmp_path / "answer.wav"
    writer = WavWriter(path)
    tone = (np.sin(np.arange(16_000) / 16_000 * 2 * np.pi * 440) * 8000).astype("<i2").tobytes()
    writer.write(tone)
    writer.write(tone[:16_000])
    # not closed (as after kill -9): the header already counts every frame written
    assert read_audio(path).size == 16_000 + 8_000
    assert duration_seconds(path) == pytest.approx(1.5)
    with path.open("rb") as raw:
        raw.seek(40)
        assert struct.unpack("<I", raw.read(4))[0] == 48_000
    writer.close()


def test_the_file_source_stands_in_for_a_microphone(tmp_path):
    voice = tmp_path / "voice.wav"
    loud = (np.sin(np.arange(8_000) / 16_000 * 2 * np.pi * 300) * 12000).astype("<i2").tobytes()
    with WavWriter(voice) as writer:
        writer.write(loud + b"\0\0" * 16_000 * 5)  # half a second of sound, then five of silence
    assert level_dbfs(loud) > -20 and level_dbfs(b"\0\0" * 100) == -100.0
    levels = []
    recording = record(FileSource(voice, realtime=False), tmp_path / "out.wav",
                       settings=RecordingSettings(silence_seconds=1.0),
                       on_chunk=lambda chunk, level, elapsed: levels.append(level))
    assert recording.ended_by == "silence" and recording.heard_speech
    assert recording.seconds == pytest.approx(1.5, abs=0.11)  # stopped after one second of silence
    assert read_audio(recording.path).size == pytest.approx(recording.seconds * 16_000, abs=2)
    assert max(levels) > -20


def test_file_source_does_not_import_sounddevice(tmp_path):
    import subprocess
    import sys

    voice = tmp_path / "voice.wav"
    with WavWriter(voice) as writer:
        writer.write(b"\1\0" * 1600)
    code = ("import sys; from interviewer.voice.sources import FileSource; from interviewer.voice.recorder import record;"
            f"record(FileSource({str(voice)!r}, realtime=False), __import__('pathlib').Path({str(tmp_path / 'o.wav')!r}));"
            "assert 'sounddevice' not in sys.modules, 'sounddevice was imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_replay_folder_hands_out_its_recordings_in_name_order(tmp_path):
    for name in ("b.wav", "a.wav", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    replay = ReplaySource(tmp_path)
    assert [replay.next_source().path.name for _ in range(3)] == ["a.wav", "b.wav", "a.wav"]
    with pytest.raises(Exception, match="no such audio file or folder"):
        ReplaySource(tmp_path / "missing")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_speech_sent_to_a_folder_is_written_whole_even_when_recording_starts_at_once(tmp_path):
    """Recording stops the speaker so the microphone does not hear the question; speech into a
    file cannot be heard, so it must not be cut off (the candidate pressed Enter at once)."""
    from interviewer.voice.speech import Speaker

    speaker = Speaker(speech_dir=tmp_path)
    target = speaker.say("Explain how an LSTM cell decides what to forget, what to store and what to output. " * 3)
    speaker.stop()
    assert target is not None and target.exists(), "the question's speech was cut off before it was written"
    with wave.open(str(target)) as spoken:  # espeak-ng's own rate, not a recording's
        assert spoken.getnframes() / spoken.getframerate() > 10
