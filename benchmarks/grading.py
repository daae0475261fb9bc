"""Grading benchmark: agreement with human scores and speed, for the offline and embedding graders.

    .venv/bin/python benchmarks/grading.py [../shared/data/asag/mohler_dev.csv]

Prints a Markdown table: Pearson r, Spearman rho, calibrated RMSE (leave-one-question-out)
and ms per answer on a human-scored CSV; offline answers per second; and the embedding
grader's grade_many throughput against raw `model.encode` on the same answer texts,
measured side by side (best of three runs each).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_DATA = REPO.parent / "shared" / "data" / "asag" / "mohler_dev.csv"


def best_of(runs: int, action) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.data.exists():
        print(f"skipped: {args.data} not found (pass the path of a human-scored CSV)")
        return 0

    from interviewer.evaluation import RubricSource, evaluate, read_scored_csv
    from interviewer.grading.embedding import BATCH_SIZE, EmbeddingGrader, load_model, model_spec
    from interviewer.grading.models import GradeRequest
    from interviewer.grading.offline import OfflineGrader

    print(f"data: {args.data}\n")
    print("| grader | n | Pearson r | Spearman rho | RMSE | ms/answer |")
    print("|---|---:|---:|---:|---:|---:|")
    embedding = EmbeddingGrader()
    for grader in (OfflineGrader(), embedding):
        report = evaluate(args.data, grader)
        print(f"| {report.grader} | {report.n} | {report.pearson:.3f} | {report.spearman:.3f} | "
              f"{report.rmse:.3f} | {report.ms_per_answer:.2f} |", flush=True)

    rows = read_scored_csv(args.data)
    source = RubricSource()
    requests = []
    for row in rows:
        question, rubric, _ = source.for_row(row)
        requests.append(GradeRequest(question, rubric, row.answer))

    offline = OfflineGrader()
    seconds = best_of(args.runs, lambda: offline.grade_many(requests))
    print(f"\noffline: {len(requests) / seconds:,.0f} answers/s ({len(requests)} answers, best of {args.runs})")

    # Side by side: raw model.encode of the answer texts vs the whole grade_many.
    model = load_model(model_spec())
    answers = list(dict.fromkeys(r.answer for r in requests if r.answer.strip()))
    embedding.grade_many(requests[:50])  # rubric and reference vectors cached, as in use
    raw, graded = [], []
    for _ in range(args.runs):
        raw.append(best_of(1, lambda: model.encode(answers, batch_size=BATCH_SIZE)))
        graded.append(best_of(1, lambda: embedding.grade_many(requests)))
    raw_rate, grade_rate = len(answers) / min(raw), len(answers) / min(graded)
    print(f"embedding: raw model.encode {raw_rate:,.0f} texts/s; grade_many {grade_rate:,.0f} answers/s; "
          f"ratio {grade_rate / raw_rate:.2f} ({len(answers)} distinct answers, best of {args.runs})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
