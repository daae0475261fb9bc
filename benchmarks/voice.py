"""Voice benchmarks: transcription speed and accuracy on espeak-ng recordings of the shipped
model answers, their grades against the same text typed, and practice --voice's latencies.

For every question of the shipped banks, the opening of its reference answer (whole sentences,
up to --chars characters, Markdown and code removed: what a candidate would say) is spoken by
espeak-ng into a WAV file, transcribed by the packaged Whisper tiny.en as `practice --voice`
does (the question and its rubric's concepts as context), and compared with the text: word
error rate (WER) over all words, real-time factor (transcription seconds / audio seconds,
model loading excluded), and the offline grade of the transcript vs the grade of the text.

    .venv/bin/python benchmarks/voice.py [--chars 320] [--limit N] [--latency-runs 3]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from interviewer.bank.loader import load_default_bank  # noqa: E402
from interviewer.grading.models import GradeRequest  # noqa: E402
from interviewer.grading.offline import OfflineGrader  # noqa: E402
from interviewer.voice.audio import read_audio  # noqa: E402
from interviewer.voice.speech import synthesize  # noqa: E402
from interviewer.voice.transcriber import Transcriber  # noqa: E402
from interviewer.voice.vocabulary import context_for  # noqa: E402


def speakable(markdown: str, limit: int) -> str:
    """What a candidate would say of a Markdown answer: no code, no markup, whole sentences."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"\$[^$]*\$", " ", text)
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
    errors = total_words = 0
    audio_seconds = transcribe_seconds = 0.0
    gaps = []
    with tempfile.TemporaryDirectory() as folder:
        for number, item in enumerate(items):
            text = speakable(item.question.reference_answer, args.chars)
            wav = synthesize(text, Path(folder) / f"{number}.wav", voice=args.voice)
            samples = read_audio(wav)
            transcript = transcriber.transcribe(samples, context=context_for(item) if not args.no_context else None)
            reference, hypothesis = words_of(text), words_of(transcript.text)
            distance = edit_distance(reference, hypothesis)
            errors += distance
            total_words += len(reference)
            audio_seconds += samples.size / 16000
            transcribe_seconds += transcript.seconds_taken
            typed = grader.grade(GradeRequest.for_item(item, text)).score
            spoken = grader.grade(GradeRequest.for_item(item, transcript.text)).score
            gaps.append(abs(typed - spoken))
            if args.verbose:
                print(f"{item.id}: WER {distance / max(1, len(reference)):.1%}  typed {typed:.1f} spoken {spoken:.1f}")
                print(f"   said:  {text}\n   heard: {transcript.text}")
    print(f"answers: {len(items)}, audio {audio_seconds:.1f} s, words {total_words}")
    print(f"WER: {errors / total_words:.1%}")
    print(f"real-time factor: {transcribe_seconds / audio_seconds:.3f} ({transcribe_seconds:.1f} s for {audio_seconds:.1f} s)")
    print(f"grade gap (offline, |typed - spoken|): mean {statistics.mean(gaps):.1f}, max {max(gaps):.1f}, "
          f"within 10 points: {sum(gap <= 10 for gap in gaps)}/{len(gaps)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chars", type=int, default=320)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--voice", default=None)
    parser.add_argument("--no-context", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    accuracy(args)


if __name__ == "__main__":
    main()
