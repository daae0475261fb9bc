"""`practice --voice` in a real terminal, the microphone replaced by a recording (no sound card):
killed with SIGKILL mid-answer, then resumed with the recording kept and graded."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import time
from contextlib import closing

import pytest
from typer.testing import CliRunner

from interviewer.cli import app
from test_tmux import Terminal, process_ended
from voice_support import needs_voice, speak

pytestmark = [needs_voice, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]

LONG_ANSWER = ("Backpropagation computes the gradients of the loss with respect to every weight by applying the "
               "chain rule. It runs a forward pass, computes the loss, and then a backward pass from the output "
               "layer to the input layer. TensorFlow does this automatically with gradient tape, and the "
               "optimizer uses the gradients to update the weights.")


def draft_audio(home) -> str | None:
    try:
        with closing(sqlite3.connect(home / "interviewer.db", timeout=5)) as db:
            row = db.execute("SELECT audio FROM drafts WHERE audio IS NOT NULL").fetchone()
            return row[0] if row else None
    except sqlite3.OperationalError:
        return None


def test_sigkill_mid_recording_keeps_the_audio_and_resume_grades_it(interviewer_home, tmp_path):
    interviewer_home.mkdir(parents=True, exist_ok=True)
    answer = speak(LONG_ANSWER, tmp_path / "answer.wav")  # about 20 seconds, replayed at its pace
    speech = tmp_path / "speech"
    terminal = Terminal(interviewer_home, {"INTERVIEWER_AUDIO_SOURCE": str(answer),
                                                "INTERVIEWER_SPEECH_DIR": str(speech)})
    try:
        terminal.start("practice", "--voice", "--grader", "offline", "-n", "1", "--no-follow-ups",
                       "--level", "beginner", "--topic", "tensorflow", "--seed", "5")
        terminal.wait_for("Press Enter to start recording")
        terminal.enter()
        terminal.wait_for("● REC")
        deadline = time.monotonic() + 60
        stored = None
        while time.monotonic() < deadline:  # until six seconds of the answer are on disk
            stored = draft_audio(interviewer_home)
            if stored and (interviewer_home / stored).stat().st_size > 44 + 6 * 32_000:
                break
            time.sleep(0.1)
        assert stored, "the recording was never noted in the store"
        pid = terminal.process_id()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not process_ended(pid):
            time.sleep(0.05)
        assert process_ended(pid)
        terminal.close()

        from interviewer.voice.audio import read_audio

        recording = interviewer_home / stored
        kept_bytes = recording.stat().st_size
        kept_seconds = read_audio(recording).size / 16_000
        assert 6 <= kept_seconds < 18  # killed mid-answer: what was said so far, readable
        assert list(speech.glob("*.wav")), "the question was not read aloud"

        terminal.start("practice", "--resume", "--no-follow-ups")
        terminal.wait_for("Resuming session")
        screen = terminal.wait_for("was kept from when the session stopped")
        terminal.enter()  # transcribe the kept recording
        screen = terminal.wait_for("Enter: accept it", timeout=120)
        assert "Transcript" in screen
        terminal.enter()  # accept
        terminal.wait_for("Delivery", timeout=120)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # a weak answer shows the model answer without asking
            screen = terminal.screen()
            if "Transcript saved in" in screen:
                break
            if "Show the model answer? [y/N] n" not in screen and screen.rstrip().endswith("[y/N]"):
                terminal.type("n")
            time.sleep(0.2)
        terminal.wait_for("Transcript saved in")
    finally:
        terminal.close()

    review = json.loads(CliRunner().invoke(app, ["review", "latest", "--json"]).output)
    turn = review["turns"][0]
    assert turn["audio"] == stored and recording.stat().st_size == kept_bytes  # the same audio, kept as it was
    assert "respect to every weight" in turn["answer"].lower() and turn["score"] is not None
    assert turn["delivery"]["speaking_s"] <= kept_seconds + 0.5
    assert review["finished"] is True
