"""The terminal side of voice practice: questions read aloud, answers recorded and transcribed.

Recording starts on Enter at an empty prompt and ends on Enter, after a stretch of silence, or
when a replayed recording ends; a level meter and the elapsed time show meanwhile. The WAV file
is noted in the store before any sound is captured and written as it comes, so a session killed
mid-answer offers the recording back when resumed. The transcript is shown at once (it is made
piece by piece while the candidate speaks); Enter accepts it, /edit corrects it, /redo records
again. Typed answers and every command of typed practice keep working.
"""

from __future__ import annotations

import os
import select
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from interviewer.cli.render import console
from interviewer.cli.render import session as screen
from interviewer.cli.render import voice as voice_screen
from interviewer.cli.terminal_ui import _TIMED_OUT, TerminalUI
from interviewer.practice.session import HINT, QUIT, SKIP, AnswerComposer, Asked, Reply
from interviewer.voice.recorder import RecordingSettings, record
from interviewer.voice.recordings import new_recording, resolve

REDO, EDIT = "/redo", "/edit"


class _EnterWatcher:
    """While recording: notices Enter without echoing it (a real terminal only)."""

    def __init__(self) -> None:
        self.fd = sys.stdin.fileno() if sys.stdin.isatty() else None
        self._saved: Any = None

    def __enter__(self) -> "_EnterWatcher":
        if self.fd is not None:
            import termios

            self._saved = termios.tcgetattr(self.fd)
            quiet = termios.tcgetattr(self.fd)
            quiet[3] &= ~(termios.ICANON | termios.ECHO)
            termios.tcsetattr(self.fd, termios.TCSANOW, quiet)
        return self

    def pressed(self) -> bool:
        if self.fd is None:
            return False
        ready, _, _ = select.select([self.fd], [], [], 0)
        return bool(ready) and any(key in os.read(self.fd, 64) for key in (b"\n", b"\r"))

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None and self._saved is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSANOW, self._saved)


class VoiceUI(TerminalUI):
    def __init__(self, *, home: Path, session_id: str, speaker: Any, transcriber: Any, replay: Any,
                 settings: RecordingSettings, on_screen: Any = None) -> None:
        super().__init__(on_screen=on_screen)
        self.home = home
        self.session_id = session_id
        self.speaker = speaker
        self.transcriber = transcriber
        self.replay = replay
        self.settings = settings
        self._speech_noted = False

    # ------------------------------------------------------------ the question, read aloud

    def ask(self, asked: Asked) -> None:
        screen.show_question(asked, instructions=voice_screen.voice_instructions(self.settings.silence_seconds))
        if self.speaker.available:
            self.speaker.say(asked.question.prompt)
        self._note_speech()
        self.transcriber.load_in_background()
        if self.on_screen is not None:
            callback, self.on_screen = self.on_screen, None
            callback()
        kept = self._kept(asked)
        if kept is not None:
            from interviewer.voice.audio import duration_seconds

            voice_screen.show_kept_recording(duration_seconds(kept))

    def _note_speech(self) -> None:
        if self._speech_noted:
            return
        if not self.speaker.available:
            reason = "espeak-ng is not installed (Debian/Ubuntu: apt install espeak-ng)"
        elif self.speaker.failure:
            reason = f"espeak-ng cannot speak here: {self.speaker.failure}"
        else:
            return
        self._speech_noted = True
        voice_screen.show_speech_unavailable(reason)

    def _kept(self, asked: Asked) -> Path | None:
        if asked.draft_audio:
            path = resolve(asked.draft_audio, self.home)
            if path.is_file() and path.stat().st_size > 44:
                return path
        return None

    # ------------------------------------------------------------ the answer, spoken

    def read_answer(self, asked: Asked, composer: AnswerComposer) -> Reply:
        kept = self._kept(asked)
        while not composer.done:
            line = self._read_line(screen.line_prompt(composer.remaining()), composer.remaining())
            self._note_speech()
            if line is None:
                composer.end_of_input()
                continue
            if line is _TIMED_OUT:
                composer.time_up()
                continue
            command = line.strip().lower()
            if not composer.lines and (not command or (command == REDO and kept is not None)):
                if kept is not None and not command:
                    self._review(asked, composer, kept, asked.draft_audio or "", transcript=None)
                else:
                    self._record_and_review(asked, composer)
                kept = None
                continue
            hint = composer.feed(line)
            if hint:
                screen.show_hint(hint)
            restored = composer.take_restored()
            if restored:
                screen.show_restored(restored)
        reply = composer.reply
        assert reply is not None
        if reply.timed_out:
            screen.show_time_up()
        if reply.action.value == "skipped":
            screen.show_skipped(asked)
        return reply

    def _record_and_review(self, asked: Asked, composer: AnswerComposer) -> None:
        path, stored, transcript = self._record(asked, composer)
        self._review(asked, composer, path, stored, transcript=transcript)

    def _record(self, asked: Asked, composer: AnswerComposer) -> tuple[Path, str, Any]:
        from interviewer.voice.sources import MicrophoneSource
        from interviewer.voice.streaming import StreamingTranscription
        from interviewer.voice.vocabulary import context_for

        self.speaker.stop()  # the microphone must not hear the question
        path, stored = new_recording(self.home, self.session_id, asked.question.id)
        composer.keep_recording(stored)  # noted before any sound: a crash mid-answer keeps it
        source = self.replay.next_source() if self.replay is not None else MicrophoneSource()
        settings = self.settings
        remaining = composer.remaining()
        if remaining is not None:
            settings = replace(settings, max_seconds=max(1.0, min(settings.max_seconds, remaining)))
        streaming = StreamingTranscription(self.transcriber, context=context_for(asked.item),
                                           silence_dbfs=settings.silence_dbfs)
        meter = voice_screen.RecordingMeter(settings)
        with _EnterWatcher() as keys, meter:
            def heard(chunk: bytes, level: float, elapsed: float) -> None:
                streaming.feed(chunk, level)
                meter.update(level, elapsed)

            recording = record(source, path, settings=settings, stop_requested=keys.pressed, on_chunk=heard)
        voice_screen.show_recorded(recording.seconds, recording.ended_by)
        with voice_screen.transcribing():
            transcript = streaming.finish()
        return path, stored, transcript

    def _review(self, asked: Asked, composer: AnswerComposer, path: Path, stored: str, *, transcript: Any) -> None:
        """Show the transcript; accept it, edit it, or record again, until one is taken."""
        from interviewer.voice.delivery import measure
        from interviewer.voice.vocabulary import context_for

        while True:
            if transcript is None:
                with voice_screen.transcribing():
                    transcript = self.transcriber.transcribe(path, context=context_for(asked.item))
            text = transcript.text
            delivery = measure(transcript.words, transcript.duration_s).to_json()
            voice_screen.show_transcript(text, seconds=transcript.duration_s)
            while True:
                voice_screen.show_review_instructions()
                line = self._read_line("✓ > ", None)
                command = line.strip().lower() if isinstance(line, str) else ""
                if line is None or (line is not _TIMED_OUT and not command):
                    if text.strip():
                        composer.take_spoken(text, audio=stored, delivery=delivery)
                        return
                    voice_screen.show_voice_note("Nothing was recognised: /redo to record again, or type your answer.")
                    continue
                if command in (SKIP, QUIT):
                    composer.feed(command)
                    return
                if command == HINT:
                    screen.show_hint(composer.feed(HINT) or "")
                    continue
                if command == EDIT:
                    text = self._edit(text)
                    voice_screen.show_transcript(text, seconds=transcript.duration_s)
                    continue
                if command == REDO:
                    path.unlink(missing_ok=True)
                    path, stored, transcript = self._record(asked, composer)
                    break
                text = line.strip()  # a typed correction replaces the transcript
                voice_screen.show_transcript(text, seconds=transcript.duration_s)

    def _edit(self, text: str) -> str:
        """The transcript on an editable line (readline, where there is one); Enter keeps it."""
        try:
            import readline
        except ImportError:  # no line editing: type the corrected text instead
            readline = None  # type: ignore[assignment]
        if readline is not None and sys.stdin.isatty():
            readline.set_startup_hook(lambda: readline.insert_text(text))
        else:
            voice_screen.show_voice_note("Type the corrected answer (an empty line keeps it as it is):")
        try:
            edited = input("edit> ")
        except EOFError:
            edited = ""
        finally:
            if readline is not None:
                readline.set_startup_hook(None)
        return edited.strip() or text

    def show_grade(self, asked: Asked, grade: Any, reply: Reply) -> None:
        screen.show_grade(asked, grade, reply)


def voice_ui(db: Any, session: Any, *, audio_from: Path | None, silence: float, on_screen: Any) -> VoiceUI:
    """The voice UI for SESSION, after checking that what it needs is installed (else one clear
    error naming the install line); the session remembers it was spoken, for --resume."""
    import importlib.util

    from interviewer.paths import app_home
    from interviewer.store import transcripts
    from interviewer.voice import INSTALL_HINT, VoiceUnavailable, require_transcription
    from interviewer.voice.sources import ReplaySource, replay_location
    from interviewer.voice.speech import Speaker
    from interviewer.voice.transcriber import shared_transcriber

    require_transcription()
    location = replay_location(audio_from)
    replay = ReplaySource(location) if location is not None else None
    if replay is None and importlib.util.find_spec("sounddevice") is None:
        raise VoiceUnavailable(f"recording needs sounddevice: install the voice extra with `{INSTALL_HINT}` "
                               "(or answer from a recording with --audio-from FILE)")
    if not session.settings.get("voice"):
        transcripts.update_settings(db, session.id, {**session.settings, "voice": True})
    return VoiceUI(home=app_home(), session_id=session.id, speaker=Speaker(), transcriber=shared_transcriber(),
                   replay=replay, settings=RecordingSettings(silence_seconds=silence), on_screen=on_screen)
