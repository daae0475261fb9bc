"""Voice benchmarks: transcription speed and accuracy on espeak-ng recordings of the shipped
model answers, their grades against the same text typed, and practice --voice's latencies.

For every question of the shipped banks, the opening of its reference answer (whole sentences,
up to --chars characters, Markdown and code removed, tables read row by row, snake_case said as
words: what a candidate would say) is spoken by espeak-ng into a WAV file, transcribed by the
packaged Whisper tiny.en as `practice --voice` does (the question and its rubric's concepts as
context), and compared with the text: word error rate (WER) over all words, real-time factor
(transcription seconds / audio seconds, model loading excluded), and the offline grade of the
transcript (graded as spoken, as practice does) vs the grade of the same text typed.
With --streamed each answer is also transcribed as practice --voice does while it is spoken (fed
in 0.1 s chunks, cut into pieces at pauses, each piece transcribed in the background) and its
word error rate compared with the one pass's.

Fillers: espeak-ng speaks answers with "um", "uh", "you know" and "like" put in, and the share
of them the delivery figures find is reported per filler.

Latency (practice --voice in a pseudo-terminal, the answer replayed from a file at its pace,
speech written to INTERVIEWER_SPEECH_DIR): from launch until the first question's speech has
started (its WAV file holds sound), and from the end of a 30-second answer ("Recorded" on
screen) until its transcript is on screen.

    .venv/bin/python benchmarks/voice.py [--chars 320] [--limit N] [--runs 3] [--streamed] [--only accuracy|fillers|latency]
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from interviewer.bank.loader import load_default_bank  # noqa: E402
from interviewer.grading.models import GradeRequest  # noqa: E402
from interviewer.grading.offline import OfflineGrader  # noqa: E402
from interviewer.voice.audio import level_dbfs, pcm16, read_audio  # noqa: E402
from interviewer.voice.delivery import find_fillers  # noqa: E402
from interviewer.voice.recorder import SILENCE_DBFS  # noqa: E402
from interviewer.voice.speech import synthesize  # noqa: E402
from interviewer.voice.streaming import StreamingTranscription  # noqa: E402
from interviewer.voice.transcriber import Transcriber  # noqa: E402
from interviewer.voice.vocabulary import context_for  # noqa: E402


def spoken_table(text: str) -> str:
    """Markdown tables as a person reads them out: row by row, each row's first cell and then
    the others ("SGD: Stochastic Gradient Descent, uses fixed learning rate"); the header row
    (the column names) and the rule under it are not said."""
    lines, out = text.splitlines(), []
    for number, line in enumerate(lines):
        if not line.strip().startswith("|"):
            out.append(line)
            continue
        if re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", line):
            continue  # the rule under the header
        below = lines[number + 1] if number + 1 < len(lines) else ""
        if re.fullmatch(r"\s*\|?[\s:|-]*-[\s:|-]*\|?\s*", below):
            continue  # the header row
        cells = [cell.strip() for cell in line.strip().strip("|").split("|") if cell.strip()]
        if cells:
            out.append(f"{cells[0]}: {', '.join(cells[1:])}." if len(cells) > 1 else f"{cells[0]}.")
    return "\n".join(out)


def speakable(markdown: str, limit: int) -> str:
    """What a candidate would say of a Markdown answer: no code, no markup, whole sentences;
    tables read row by row, identifiers said as words ("val_loss" as "val loss")."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = spoken_table(text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"\$[^$]*\$", " ", text)
    text = re.sub(r"(?<=[^\W_])_+(?=[^\W_])", " ", text)  # snake_case: the words, not "valloss"
    text = re.sub(r"[*_#>|]+", "", text)
    blocks: list[str] = []
    continuing = False
    for line in text.splitlines():
        bullet = re.match(r"^\s*(?:[-•]|\d+[.)])\s+", line)
        line = line[bullet.end():].strip() if bullet else line.strip()
        if not line:
            continuing = False
            continue
        if continuing and not bullet:
            blocks[-1] += " " + line  # a hard-wrapped line goes on the sentence before it
        else:
            blocks.append(line)
        continuing = True
    lines = [block if re.search(r"[.!?:]$", block) else block + "." for block in blocks]
    text = re.sub(r"\s+", " ", " ".join(lines)).replace(":.", ":")
    # A sentence starts with a capital: espeak-ng reads ". save" as "dot save", run on.
    text = re.sub(r"(?<=[.!?] )[a-z]", lambda match: match.group().upper(), text)
    sentences = re.split(r"(?<=[.!?])\s+", text)
    chosen = ""
    for sentence in sentences:
        if chosen and len(chosen) + len(sentence) > limit:
            break
        chosen = f"{chosen} {sentence}".strip()
    return chosen


def words_of(text: str) -> list[str]:
    text = text.lower().replace("-", " ").replace("/", " ")
    return re.findall(r"[a-z0-9']+", text)


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, word in enumerate(reference, 1):
        current = [i]
        for j, other in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other)))
        previous = current
    return previous[-1]


def accuracy(args: argparse.Namespace) -> None:
    bank = load_default_bank([])
    items = list(bank)[: args.limit] if args.limit else list(bank)
    transcriber = Transcriber()
    started = time.perf_counter()
    transcriber.model
    print(f"model load: {time.perf_counter() - started:.2f} s")
    grader = OfflineGrader()
    errors = total_words = streamed_errors = streamed_pieces = 0
    audio_seconds = transcribe_seconds = 0.0
    gaps, streamed_gaps = [], []
    with tempfile.TemporaryDirectory() as folder:
        for number, item in enumerate(items):
            text = speakable(item.question.reference_answer, args.chars)
            wav = synthesize(text, Path(folder) / f"{number}.wav", voice=args.voice)
            samples = read_audio(wav)
            context = context_for(item) if not args.no_context else None
            transcript = transcriber.transcribe(samples, context=context)
            reference, hypothesis = words_of(text), words_of(transcript.text)
            distance = edit_distance(reference, hypothesis)
            errors += distance
            if args.streamed:
                heard = streamed(transcriber, samples, context)
                streamed_errors += edit_distance(reference, words_of(heard.text))
                streamed_pieces += heard.pieces
            total_words += len(reference)
            audio_seconds += samples.size / 16000
            transcribe_seconds += transcript.seconds_taken
            typed = grader.grade(GradeRequest.for_item(item, text)).score
            # a transcript is graded as practice --voice and grade's audio column grade it
            spoken = grader.grade(GradeRequest.for_item(item, transcript.text, spoken=True)).score
            gaps.append(abs(typed - spoken))
            if args.streamed:
                streamed_score = grader.grade(GradeRequest.for_item(item, heard.text, spoken=True)).score
                streamed_gaps.append(abs(typed - streamed_score))
            if args.verbose:
                print(f"{item.id}: WER {distance / max(1, len(reference)):.1%}  typed {typed:.1f} spoken {spoken:.1f}"
                      + (f" streamed {streamed_score:.1f}" if args.streamed else ""))
                print(f"   said:  {text}\n   heard: {transcript.text}")
                if args.streamed:
                    print(f"   streamed ({heard.pieces} pieces): {heard.text}")
    print(f"answers: {len(items)}, audio {audio_seconds:.1f} s, words {total_words}")
    print(f"WER: {errors / total_words:.1%}")
    if args.streamed:
        print(f"WER streamed as practice does (cut at pauses while spoken, {streamed_pieces} pieces): "
              f"{streamed_errors / total_words:.1%}")
    print(f"real-time factor: {transcribe_seconds / audio_seconds:.3f} ({transcribe_seconds:.1f} s for {audio_seconds:.1f} s)")
    print(f"grade gap (offline, |typed - spoken|): mean {statistics.mean(gaps):.1f}, max {max(gaps):.1f}, "
          f"within 10 points: {sum(gap <= 10 for gap in gaps)}/{len(gaps)}")
    if args.streamed:
        print(f"grade gap, streamed transcript: mean {statistics.mean(streamed_gaps):.1f}, max {max(streamed_gaps):.1f}, "
              f"within 10 points: {sum(gap <= 10 for gap in streamed_gaps)}/{len(streamed_gaps)}")


class Streamed:
    def __init__(self, text: str, pieces: int) -> None:
        self.text, self.pieces = text, pieces


def streamed(transcriber: Transcriber, samples, context: str | None) -> Streamed:
    """SAMPLES transcribed as practice --voice does while the answer is spoken: fed in chunks of
    0.1 s (as fast as they are transcribed), cut into pieces at pauses."""
    streaming = StreamingTranscription(transcriber, context=context, silence_dbfs=SILENCE_DBFS)
    data = pcm16(samples)
    for start in range(0, len(data), 3200):
        chunk = data[start:start + 3200]
        streaming.feed(chunk, level_dbfs(chunk))
    transcript = streaming.finish()
    return Streamed(transcript.text, streaming.pieces_sent)


FILLERS = ("um", "uh", "you know", "like")


def with_fillers(text: str) -> tuple[str, dict[str, int]]:
    """TEXT with a filler set off by commas before every fourth word (cycling through FILLERS)."""
    words = text.split()
    out, counts = [], {name: 0 for name in FILLERS}
    for index, word in enumerate(words):
        if index % 4 == 0 and index + 1 < len(words):
            filler = FILLERS[(index // 4) % len(FILLERS)]
            counts[filler] += 1
            if out and not out[-1].endswith((",", ".")):
                out[-1] += ","
            out.append(f"{filler},")
        out.append(word)
    text = " ".join(out)
    return text[:1].upper() + text[1:], counts


def fillers(args: argparse.Namespace) -> None:
    bank = load_default_bank([])
    items = list(bank)[: args.filler_answers]
    transcriber = Transcriber()
    said = {name: 0 for name in FILLERS}
    kept = {name: 0 for name in FILLERS}
    with tempfile.TemporaryDirectory() as folder:
        for number, item in enumerate(items):
            text, counts = with_fillers(speakable(item.question.reference_answer, 200))
            wav = synthesize(text, Path(folder) / f"f{number}.wav", voice=args.voice)
            transcript = transcriber.transcribe(wav, context=context_for(item))
            found, _ = find_fillers(transcript.text.split())
            for name in FILLERS:
                said[name] += counts[name]
                kept[name] += min(found.get(name, 0), counts[name])
            if args.verbose:
                print(f"   said:  {text}\n   heard: {transcript.text}")
    total_said, total_kept = sum(said.values()), sum(kept.values())
    print(f"fillers found in the transcripts: {total_kept}/{total_said} ({total_kept / total_said:.0%}); " + ", ".join(
        f"{name} {kept[name]}/{said[name]}" for name in FILLERS))


def _run_in_terminal(args: list[str], env: dict[str, str], markers: list[bytes], *, answer_keys: bool,
                     timeout: float = 180) -> dict[bytes, float]:
    """Run the CLI in a pseudo-terminal; the time each marker first appears (seconds from launch)."""
    controller, terminal = pty.openpty()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "interviewer", *args], stdin=terminal, stdout=terminal,
                               stderr=terminal, env=env, close_fds=True)
    os.close(terminal)
    seen, times, pressed = b"", {}, False
    speech_dir = Path(env["INTERVIEWER_SPEECH_DIR"])
    try:
        # Light polling: the measuring loop must not take the CPU from what it measures.
        while time.perf_counter() - started < timeout and len(times) < len(markers):
            if b"speech" not in times and any(p.stat().st_size > 1000 for p in speech_dir.glob("*.wav")):
                times[b"speech"] = time.perf_counter() - started
            ready, _, _ = select.select([controller], [], [], 0.02)
            if ready:
                try:
                    data = os.read(controller, 65536)
                except OSError:
                    break
                window, seen = seen[-64:] + data, (seen + data)[-4096:]
                for marker in markers:
                    if marker not in times and marker != b"speech" and marker in window:
                        times[marker] = time.perf_counter() - started
            if answer_keys and not pressed and b"Press Enter to start recording" in seen[-4096:]:
                os.write(controller, b"\n")
                pressed = True
    finally:
        process.kill()
        process.wait()
        os.close(controller)
    return times


def latency(args: argparse.Namespace) -> None:
    bank = load_default_bank([])
    with tempfile.TemporaryDirectory() as folder:
        long_text = ""
        for item in bank:
            long_text = f"{long_text} {speakable(item.question.reference_answer, 320)}".strip()
            wav = synthesize(long_text, Path(folder) / "long.wav", voice=args.voice)
            if read_audio(wav).size / 16000 >= 31:
                break
        spoken = Path(folder) / "answer30.wav"  # 30 s of speech, then the answer stops
        subprocess.run(["sox", str(wav), "-r", "16000", str(spoken), "trim", "0", "30"], check=True)
        paused = Path(folder) / "answer30-silence.wav"  # ... and the speaker falls silent
        subprocess.run(["sox", str(spoken), str(paused), "pad", "0", "4"], check=True)
        firsts, after_silence, after_enter = [], [], []
        for run in range(args.runs):
            for answer, results in ((paused, after_silence), (spoken, after_enter)):
                home = Path(folder) / f"home-{run}-{answer.stem}"
                speech = Path(folder) / f"speech-{run}-{answer.stem}"
                speech.mkdir()
                env = {**os.environ, "INTERVIEWER_HOME": str(home), "INTERVIEWER_SPEECH_DIR": str(speech),
                       "INTERVIEWER_AUDIO_SOURCE": str(answer), "COLUMNS": "120"}
                times = _run_in_terminal(
                    ["practice", "--voice", "--grader", "offline", "-n", "1", "--no-follow-ups"],
                    env, [b"speech", "● REC".encode(), b"Recorded ", b" recorded):"], answer_keys=True)
                nan = float("nan")
                if answer is paused:
                    firsts.append(times.get(b"speech", nan))
                    # the answer ends 30 s into the recording; silence then ends the recording
                    results.append(times.get(b" recorded):", nan) - (times.get("● REC".encode(), nan) + 30.0))
                else:
                    # the recording stops the moment the speech does (as when Enter is pressed at once)
                    results.append(times.get(b" recorded):", nan) - times.get(b"Recorded ", nan))
            print(f"run {run + 1}: first question spoken after {firsts[-1]:.2f} s; transcript "
                  f"{after_silence[-1]:.2f} s after a 30 s answer (silence ends the recording), "
                  f"{after_enter[-1]:.2f} s after the recording stops at once", flush=True)
    print(f"first question read aloud: median {statistics.median(firsts):.2f} s, worst {max(firsts):.2f} s")
    print(f"transcript after a 30 s answer, silence ending it: median {statistics.median(after_silence):.2f} s, "
          f"worst {max(after_silence):.2f} s")
    print(f"transcript after a 30 s answer stopped at once: median {statistics.median(after_enter):.2f} s, "
          f"worst {max(after_enter):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chars", type=int, default=320, help="characters of each model answer spoken")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions (accuracy)")
    parser.add_argument("--filler-answers", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3, help="latency runs")
    parser.add_argument("--voice", default=None, help="an espeak-ng voice (default: its own)")
    parser.add_argument("--only", choices=("accuracy", "fillers", "latency"))
    parser.add_argument("--no-context", action="store_true", help="transcribe without the question as context")
    parser.add_argument("--streamed", action="store_true",
                        help="also transcribe each answer piece by piece as practice does, and compare")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if args.only in (None, "accuracy"):
        accuracy(args)
    if args.only in (None, "fillers"):
        fillers(args)
    if args.only in (None, "latency"):
        latency(args)


if __name__ == "__main__":
    main()
