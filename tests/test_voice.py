"""Voice with real audio: espeak-ng speaks, the packaged Whisper model transcribes.

The model loads once for this module (the shared transcriber that the commands use too).
"""

from __future__ import annotations

import json
import re
import sqlite3
import wave
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.cli import app
from voice_support import BACKPROP, LSTM_NOTES, needs_voice, speak

pytestmark = needs_voice


@pytest.fixture(scope="module")
def transcriber():
    from interviewer.voice.transcriber import shared_transcriber

    shared = shared_transcriber()
    shared.model  # loaded once here, reused by every test (and command) of the module
    return shared


@pytest.fixture(autouse=True)
def fast_replay(monkeypatch):
    """Replayed answers are read at once here (the tmux test keeps the real pace)."""
    monkeypatch.setenv("INTERVIEWER_AUDIO_PACE", "fast")


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recordings")
    return {
        "backprop": speak(BACKPROP, folder / "backprop.wav"),
        "fillers": speak("Um, so, the learning rate is, uh, the size of each step, you know, that the "
                         "optimizer takes. Basically, a smaller rate is slower but more stable.",
                         folder / "fillers.wav"),
    }


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def test_packaged_model_transcribes_espeak_speech(transcriber, recordings):
    transcript = transcriber.transcribe(recordings["backprop"])
    heard = " ".join(words(transcript.text))
    for phrase in ("chain rule", "with respect to every weight"):
        assert phrase in heard, transcript.text
    with wave.open(str(recordings["backprop"])) as original:
        assert transcript.duration_s == pytest.approx(original.getnframes() / original.getframerate(), abs=0.1)
    # word timestamps run forward through the recording
    starts = [word.start for word in transcript.words]
    assert starts == sorted(starts) and transcript.words[-1].end <= transcript.duration_s + 0.5


def test_silence_after_the_answer_is_not_made_up_into_words(transcriber, recordings, tmp_path):
    from interviewer.voice.audio import read_audio

    import numpy as np

    speech = read_audio(recordings["backprop"])
    spoken_until = speech.size / 16_000
    transcript = transcriber.transcribe(np.concatenate([speech, np.zeros(4 * 16_000, dtype=np.float32)]))
    heard = " ".join(words(transcript.text))
    assert "chain rule" in heard and "update the weight" in heard
    assert "thank you" not in heard and "bye" not in heard
    assert transcript.words[-1].end <= spoken_until + 0.5, transcript.words[-3:]


def test_a_recording_longer_than_whisper_s_window_is_transcribed_to_its_end(transcriber, tmp_path):
    # Whisper reads 30 s at a time: the words after the first window must come through too.
    text = (BACKPROP + " Dropout randomly switches off neurons during training, which keeps them from "
            "co-adapting. Batch normalization rescales each layer's inputs, so training is more stable. "
            "A learning rate that is too large makes the loss jump around instead of going down. "
            "Finally, early stopping ends training when the validation loss stops improving.")
    long_answer = speak(text, tmp_path / "long.wav", words_per_minute=140)
    transcript = transcriber.transcribe(long_answer)
    assert transcript.duration_s > 30
    heard = " ".join(words(transcript.text))
    assert "chain rule" in heard and "neurons during training" in heard and "early stopping" in heard, transcript.text
    assert transcript.words[-1].end > 30


def test_transcribe_json_holds_the_text_and_delivery_figures(transcriber, recordings):
    result = CliRunner().invoke(app, ["transcribe", str(recordings["fillers"]), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "learning rate" in data["text"].lower()
    assert data["duration_s"] > 5
    assert 100 <= data["words_per_minute"] <= 260  # espeak-ng speaks at 165 words a minute
    assert data["filler_count"] == sum(data["fillers"].values()) >= 2
    assert set(data["fillers"]) <= {"um", "uh", "so", "you know", "basically", "like"}
    assert all({"word", "start", "end"} <= set(word) for word in data["words_timed"])


def test_transcribe_without_json_shows_the_transcript_and_delivery(transcriber, recordings):
    result = CliRunner().invoke(app, ["transcribe", str(recordings["backprop"])])
    assert result.exit_code == 0, result.output
    assert "chain rule" in result.output.lower() and "words/min" in result.output and "Fillers:" in result.output


def test_transcribe_a_missing_or_non_audio_file_is_one_clear_error(tmp_path):
    missing = CliRunner().invoke(app, ["transcribe", str(tmp_path / "nothing.wav")])
    assert missing.exit_code == 2 and "no such audio file" in missing.output
    (tmp_path / "notes.mp3").write_text("not audio at all")
    broken = CliRunner().invoke(app, ["transcribe", str(tmp_path / "notes.mp3")])
    assert broken.exit_code == 2 and "not a readable audio file" in broken.output
    assert "Traceback" not in broken.output


def test_a_whisper_model_folder_that_is_not_one_is_refused(tmp_path, monkeypatch, recordings):
    from interviewer.voice.transcriber import Transcriber

    monkeypatch.setenv("INTERVIEWER_WHISPER_MODEL", str(tmp_path))
    with pytest.raises(Exception, match="not a faster-whisper model folder"):
        Transcriber().transcribe(recordings["backprop"])


def test_streaming_transcription_matches_the_whole_recording(transcriber, recordings):
    from interviewer.voice.audio import level_dbfs, pcm16, read_audio
    from interviewer.voice.sources import CHUNK_FRAMES
    from interviewer.voice.streaming import StreamingTranscription

    data = pcm16(read_audio(recordings["backprop"]))
    silence = b"\0\0" * 16_000 * 2
    streaming = StreamingTranscription(transcriber, context=None, silence_dbfs=-45.0)
    audio = data + silence  # a pause that ends the answer, as the recorder sees it
    for start in range(0, len(audio), CHUNK_FRAMES * 2):
        chunk = audio[start:start + CHUNK_FRAMES * 2]
        streaming.feed(chunk, level_dbfs(chunk))
    transcript = streaming.finish()
    heard = " ".join(words(transcript.text))
    assert "chain rule" in heard and "with respect to every weight" in heard
    assert len(transcript.words) >= 20
    assert "thank you" not in heard  # the closing silence is not sent to be made up into words


def test_practice_voice_stores_the_recording_transcript_and_delivery(transcriber, recordings, interviewer_home):
    runner = CliRunner()
    result = runner.invoke(app, [
        "practice", "--voice", "--audio-from", str(recordings["backprop"]), "--grader", "offline", "-n", "1",
        "--level", "beginner", "--topic", "tensorflow", "--seed", "5", "--no-follow-ups",
    ], input="\n\nn\n")
    assert result.exit_code == 0, result.output
    assert "Recorded" in result.output and "Transcript" in result.output and "Delivery" in result.output
    review = json.loads(runner.invoke(app, ["review", "latest", "--json"]).output)
    turn = review["turns"][0]
    assert "chain rule" in turn["answer"].lower() and turn["score"] is not None
    assert turn["audio"].startswith("recordings/") and (interviewer_home / turn["audio"]).stat().st_size > 100_000
    assert 100 <= turn["delivery"]["words_per_minute"] <= 260
    assert review["settings"]["voice"] is True


def test_redo_records_again_and_an_edit_replaces_the_transcript(transcriber, recordings, interviewer_home):
    runner = CliRunner()
    result = runner.invoke(app, [
        "practice", "--voice", "--audio-from", str(recordings["backprop"]), "--grader", "offline", "-n", "1",
        "--no-follow-ups",
    ], input="\n/redo\n/edit\nMy corrected answer about the chain rule and gradients.\n\nn\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Recorded") == 2
    turn = json.loads(runner.invoke(app, ["review", "latest", "--json"]).output)["turns"][0]
    assert turn["answer"] == "My corrected answer about the chain rule and gradients."
    kept = list((interviewer_home / "recordings").rglob("*.wav"))
    assert [path.relative_to(interviewer_home).as_posix() for path in kept] == [turn["audio"]]  # the redone one is gone


def test_stats_track_delivery_across_sessions(transcriber, recordings):
    runner = CliRunner()
    for seed in (1, 2):
        result = runner.invoke(app, [
            "practice", "--voice", "--audio-from", str(recordings["fillers"]), "--grader", "offline", "-n", "1",
            "--seed", str(seed), "--no-follow-ups"], input="\n\nn\n")
        assert result.exit_code == 0, result.output
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).output)
    assert len(stats["delivery"]) == 2
    assert all(row["spoken"] == 1 and row["words_per_minute"] > 100 and row["fillers"] >= 1
               for row in stats["delivery"])
    shown = runner.invoke(app, ["stats"]).output
    assert "Delivery" in shown and "words/min" in shown


def test_grade_transcribes_an_audio_column_and_a_missing_file_is_a_row_error(transcriber, recordings, tmp_path):
    import csv
    import shutil

    folder = tmp_path / "submissions"
    (folder / "audio").mkdir(parents=True)
    shutil.copy(recordings["backprop"], folder / "audio" / "ana.wav")
    (folder / "audio" / "notes.wav").write_text("this is not a recording")
    source = folder / "answers.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "candidate", "question_id", "answer", "audio"])
        writer.writerow(["1", "ana", "tf/q3-backprop-in-tf", "", "audio/ana.wav"])
        writer.writerow(["2", "ben", "tf/q3-backprop-in-tf", "It applies the chain rule to get gradients.", ""])
        writer.writerow(["3", "cy", "tf/q3-backprop-in-tf", "", "audio/missing.wav"])
        writer.writerow(["4", "di", "tf/q3-backprop-in-tf", "", "audio/notes.wav"])
    report = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["grade", str(source), "--grader", "offline", "--report", str(report), "--json"])
    assert result.exit_code == 1, result.output  # the run finished, some rows have an error
    summary = json.loads(result.output)
    assert summary["graded"] == 2 and summary["errors"] == 2
    with (folder / "answers.graded.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[-1] == "transcript"
    spoken, typed, missing, broken = rows
    assert "chain rule" in spoken["transcript"].lower() and float(spoken["score"]) > 0 and not spoken["error"]
    assert typed["transcript"] == "" and float(typed["score"]) > 0
    assert missing["score"] == "" and missing["error"] == "line 4: audio 'audio/missing.wav': no such audio file"
    assert broken["error"].startswith("line 5: audio 'audio/notes.wav': not a readable")
    page = report.read_text()
    assert "Transcript of" in page and "ana.wav" in page and "chain rule" in page.lower()
    turns = json.loads(CliRunner().invoke(app, ["review", "latest", "--json"]).output)["turns"]
    assert turns[0]["audio"] == str(folder / "audio" / "ana.wav") and turns[0]["delivery"]["words"] > 10


def test_a_spoken_answer_grades_like_the_same_words_typed(transcriber, tmp_path, interviewer_home):
    """Whisper hears the notes' colons as commas ("key components, Cell State, Ct, ..."); practice
    and grade read a transcript's commas as pauses, not as the separators of a list of terms."""
    import csv

    from interviewer.bank.loader import load_default_bank
    from interviewer.grading.models import GradeRequest
    from interviewer.grading.offline import OfflineGrader

    typed = OfflineGrader().grade(GradeRequest.for_item(load_default_bank().get("dl-nlp/q10-lstm"), LSTM_NOTES))
    recording = speak(LSTM_NOTES, tmp_path / "lstm.wav")
    runner = CliRunner()
    result = runner.invoke(app, [
        "practice", "--voice", "--audio-from", str(recording), "--grader", "offline", "-n", "1",
        "--level", "beginner", "--topic", "lstm", "--no-follow-ups"], input="\n\nn\n")
    assert result.exit_code == 0, result.output
    turn = json.loads(runner.invoke(app, ["review", "latest", "--json"]).output)["turns"][0]
    assert turn["question_id"] == "dl-nlp/q10-lstm" and "cell state" in turn["answer"].lower()
    assert abs(turn["score"] - typed.score) <= 5, (turn["answer"], turn["score"], typed.score)
    regraded = runner.invoke(app, ["regrade", "latest", "--grader", "offline"])
    assert regraded.exit_code == 0, regraded.output
    again = json.loads(runner.invoke(app, ["review", "latest", "--json"]).output)["turns"][0]
    assert len(again["grades"]) == 2 and again["score"] == turn["score"]  # graded again as spoken

    source = tmp_path / "answers.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "question_id", "answer", "audio"])
        writer.writerow(["spoken", "dl-nlp/q10-lstm", "", "lstm.wav"])
        writer.writerow(["typed", "dl-nlp/q10-lstm", LSTM_NOTES, ""])
    result = runner.invoke(app, ["grade", str(source), "--grader", "offline", "--workers", "1"])
    assert result.exit_code == 0, result.output
    with (tmp_path / "answers.graded.csv").open(newline="") as handle:
        spoken, written = list(csv.DictReader(handle))
    assert float(written["score"]) == typed.score
    assert abs(float(spoken["score"]) - typed.score) <= 5, (spoken["transcript"], spoken["score"], typed.score)
