"""Transcribing while the candidate speaks, so the transcript is ready as soon as they stop.

The recording is cut into pieces at pauses (a quiet stretch of `CUT_AFTER_QUIET` seconds once a
piece holds `MIN_PIECE_SECONDS` of sound, any piece at a pause of `CUT_AT_PAUSE` seconds, and at
the latest after `MAX_PIECE_SECONDS`), and each piece is transcribed in a background thread while
the next one is being spoken. A piece costs about in proportion to its length (the encoder reads
only as much of Whisper's 30-second window as holds audio), but Whisper hears a short piece less
well, so pieces are not made short for their own sake. When the candidate
stops talking, their last piece is cut after `CUT_AT_PAUSE` and transcribed during the silence
that ends the recording; pressing Enter right away leaves that one piece to transcribe. Word
timestamps are shifted to the whole recording's time line.
"""

from __future__ import annotations

import queue
import threading
from interviewer.voice import SAMPLE_RATE
from interviewer.voice.transcriber import Transcriber, Transcript, Word

CUT_AFTER_QUIET = 0.3
CUT_AT_PAUSE = 0.8
# Whisper makes more mistakes on short pieces (it hears less of the answer at once): on the
# benchmark's answers pieces of at least 5 s had a word error rate of 19.9% against 16.0% for one
# pass over each recording; at least 10 s, 15.7%. The price is a longer last piece to transcribe
# when the answer ends at once.
MIN_PIECE_SECONDS = 10.0
MAX_PIECE_SECONDS = 20.0
PREVIOUS_TEXT_CHARS = 300  # of the piece before, given to Whisper with the question
_BYTES_PER_SECOND = 2 * SAMPLE_RATE


class StreamingTranscription:
    """Feed it every recorded chunk with its level; `finish()` returns the whole transcript."""

    def __init__(self, transcriber: Transcriber, *, context: str | None, silence_dbfs: float) -> None:
        self.transcriber = transcriber
        self.context = context
        self.silence_dbfs = silence_dbfs
        self._pending = bytearray()
        self._pending_start = 0.0  # seconds into the recording where the pending piece starts
        self._quiet = 0.0
        self._loud_until = 0  # bytes of the pending piece up to the end of its last sound
        self._pieces: queue.Queue[tuple[float, bytes] | None] = queue.Queue()
        self._results: list[Transcript] = []
        self._error: BaseException | None = None
        self.pieces_sent = 0
        self._worker = threading.Thread(target=self._work, name="transcribe-pieces", daemon=True)
        self._worker.start()

    def feed(self, chunk: bytes, level_dbfs: float) -> None:
        self._pending += chunk
        seconds = len(chunk) / _BYTES_PER_SECOND
        if level_dbfs < self.silence_dbfs:
            self._quiet += seconds
        else:
            self._quiet, self._loud_until = 0.0, len(self._pending)
        length = len(self._pending) / _BYTES_PER_SECOND
        if not self._loud_until and length > 1.0:  # silence before any sound: keep only its end
            drop = len(self._pending) - int(0.3 * _BYTES_PER_SECOND)
            drop -= drop % 2
            self._pending_start += drop / _BYTES_PER_SECOND
            del self._pending[:drop]
            return
        if self._loud_until and ((length >= MIN_PIECE_SECONDS and self._quiet >= CUT_AFTER_QUIET)
                                 or self._quiet >= CUT_AT_PAUSE or length >= MAX_PIECE_SECONDS):
            self._cut()

    def _cut(self) -> None:
        # Past the last sound only half a second is sent: on a long silence Whisper makes up words.
        keep = min(len(self._pending), self._loud_until + int(0.5 * _BYTES_PER_SECOND))
        if self._loud_until > 0 and keep > 0:  # a piece with no sound at all is not sent
            self._pieces.put((self._pending_start, bytes(self._pending[:keep])))
            self.pieces_sent += 1
        self._pending_start += len(self._pending) / _BYTES_PER_SECOND
        self._pending, self._loud_until = bytearray(), 0

    def _work(self) -> None:
        from interviewer.voice.audio import samples_from_pcm16

        previous = ""
        while True:
            piece = self._pieces.get()
            if piece is None:
                return
            if self._error is not None:
                continue
            start, data = piece
            try:
                # The piece before gives Whisper the thread of the answer, as one long
                # transcription would have had it.
                context = " ".join(part for part in (self.context, previous[-PREVIOUS_TEXT_CHARS:]) if part) or None
                result = self.transcriber.transcribe(samples_from_pcm16(data), context=context)
            except BaseException as exc:  # kept for finish(): the recording itself goes on
                self._error = exc
                continue
            result.words = [Word(word.text, round(word.start + start, 3), round(word.end + start, 3),
                                 word.probability) for word in result.words]
            self._results.append(result)
            previous = result.text

    def finish(self) -> Transcript:
        """Transcribe what is left and return the whole recording's transcript."""
        self._cut()
        total = self._pending_start
        self._pieces.put(None)
        self._worker.join()
        if self._error is not None:
            raise self._error
        return Transcript(
            text=" ".join(result.text for result in self._results if result.text).strip(),
            duration_s=round(total, 3),
            words=[word for result in self._results for word in result.words],
            seconds_taken=round(sum(result.seconds_taken for result in self._results), 3),
        )
