"""Time from the end of an answer to the grade panel on screen, embedding grader warm.

    .venv/bin/python benchmarks/panel_latency.py                  # every probe answer
    .venv/bin/python benchmarks/panel_latency.py --grader offline

The model is loaded and each question's rubric graded once first (as in a practice session,
where the model loads while the candidate reads and types). Then every answer of the probe
set is graded one at a time, as `practice` does, and its panel rendered to a terminal-sized
console; the time of both together is what the candidate waits. Target: 1.5 s.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from rich.console import Console  # noqa: E402

from interviewer.bank.loader import load_default_bank  # noqa: E402
from interviewer.cli.render.grade import grade_panel  # noqa: E402
from interviewer.grading.models import GradeRequest  # noqa: E402

TARGET_SECONDS = 1.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=Path, default=HERE / "probe" / "answers.jsonl")
    parser.add_argument("--grader", choices=("embedding", "offline"), default="embedding")
    args = parser.parse_args()

    bank = load_default_bank()
    rows = [json.loads(line) for line in args.answers.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.grader == "embedding":
        from interviewer.grading.embedding import EmbeddingGrader

        grader = EmbeddingGrader()
        grader.warm_up()
    else:
        from interviewer.grading.offline import OfflineGrader

        grader = OfflineGrader()
    for question_id in dict.fromkeys(row["question_id"] for row in rows):  # rubric vectors cached
        grader.grade(GradeRequest.for_item(bank.get(question_id), "warm up"))

    seconds = []
    for row in rows:
        request = GradeRequest.for_item(bank.get(row["question_id"]), row["answer"])
        started = time.perf_counter()
        grade = grader.grade(request)
        console = Console(file=io.StringIO(), width=100, force_terminal=True)
        console.print(grade_panel(grade, title="Question 1"))
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))]
    print(f"{args.grader} grader, {len(seconds)} answers, one at a time: median {statistics.median(seconds):.3f} s, "
          f"95th percentile {p95:.3f} s, max {seconds[-1]:.3f} s (target {TARGET_SECONDS} s)")
    return 0 if seconds[-1] <= TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
